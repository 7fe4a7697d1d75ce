package dev.tessera.kernels;

import dev.tessera.engine.backend.Buffer;
import jcuda.driver.CUdeviceptr;

/**
 * A {@link Buffer} on the GPU: {@code length} float32 (or int32) elements starting {@code offset} elements
 * into a device allocation. Slicing makes a new view of the same allocation; nothing is copied. The owner
 * check in {@link #cast} stops a buffer of one backend (or of the CPU backend) from reaching a kernel of
 * another, which would otherwise be a silent wild pointer.
 */
final class CudaBuffer implements Buffer {
    private final DeviceAllocator.Allocation allocation;
    private final Object owner;
    private final int offset;
    private final int length;
    private final boolean ints;

    CudaBuffer(DeviceAllocator.Allocation allocation, Object owner, int offset, int length, boolean ints) {
        this.allocation = allocation;
        this.owner = owner;
        this.offset = offset;
        this.length = length;
        this.ints = ints;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public Buffer slice(int offset, int length) {
        Buffer.checkRange("slice", this, offset, length);
        return new CudaBuffer(allocation, owner, this.offset + offset, length, ints);
    }

    @Override
    public boolean isInt() {
        return ints;
    }

    /** The allocator already knows: its allocations are marked when their step scope closes. */
    @Override
    public boolean released() {
        return allocation.released();
    }

    DeviceAllocator.Allocation allocation() {
        return allocation;
    }

    /** The device address of element 0 of this view (fails if the allocation was released). */
    CUdeviceptr pointer() {
        CUdeviceptr base = allocation.ptr();
        return offset == 0 ? base : base.withByteOffset(4L * offset);
    }

    /** This view as a CudaBuffer of {@code owner}, checking its element type; null stays null. */
    static CudaBuffer cast(Buffer b, Object owner, boolean wantInts, String what) {
        if (b == null) return null;
        if (!(b instanceof CudaBuffer c) || c.owner != owner) {
            throw new IllegalArgumentException(what + ": buffer " + b + " does not belong to this CUDA backend");
        }
        if (c.ints != wantInts) {
            throw new IllegalArgumentException(what + ": expected a " + (wantInts ? "int32" : "float32")
                    + " buffer, got " + (c.ints ? "int32" : "float32"));
        }
        return c;
    }

    @Override
    public String toString() {
        return "CudaBuffer[" + (ints ? "int32" : "float32") + ", offset " + offset + ", length " + length + "]";
    }
}
