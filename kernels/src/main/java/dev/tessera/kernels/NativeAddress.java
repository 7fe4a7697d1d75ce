package dev.tessera.kernels;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import jcuda.NativePointerObject;
import jcuda.Pointer;

/**
 * The raw address behind a JCuda handle (a device pointer, a stream), for the FFM calls into cuBLAS 13, which
 * take plain C pointers. JCuda keeps the address in a private field ({@code nativePointer}) plus, for
 * {@link Pointer} and its subclass {@code CUdeviceptr}, a byte offset ({@code withByteOffset} views); the JNI side
 * passes their sum, so this does too. The fields are read through a private lookup, which works because JCuda and
 * Tessera both sit in the unnamed module (the class path, the shaded jar).
 */
final class NativeAddress {
    private NativeAddress() {}

    private static final VarHandle NATIVE_POINTER, BYTE_OFFSET;

    static {
        try {
            NATIVE_POINTER = MethodHandles.privateLookupIn(NativePointerObject.class, MethodHandles.lookup())
                    .findVarHandle(NativePointerObject.class, "nativePointer", long.class);
            BYTE_OFFSET = MethodHandles.privateLookupIn(Pointer.class, MethodHandles.lookup())
                    .findVarHandle(Pointer.class, "byteOffset", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError("JCuda's NativePointerObject/Pointer fields changed: " + e);
        }
    }

    /**
     * Gives a handle the driver never created a fake address ({@link RecordingDriver}: distinct, aligned device
     * addresses, so offsets and overlaps can be checked without a GPU). Returns the handle.
     */
    static <T extends NativePointerObject> T assign(T handle, long address) {
        NATIVE_POINTER.set(handle, address);
        return handle;
    }

    /** The address a JNI call would pass for {@code handle}: its native pointer plus its byte offset. */
    static long of(NativePointerObject handle) {
        long base = (long) NATIVE_POINTER.get(handle);
        return handle instanceof Pointer p ? base + (long) BYTE_OFFSET.get(p) : base;
    }
}
