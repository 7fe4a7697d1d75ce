package dev.tessera.kernels;

import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.AttentionLayout.Operand;
import java.util.ArrayList;
import java.util.List;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

/**
 * The parameter list of one kernel launch, in the kernel's declaration order. cuLaunchKernel wants a pointer
 * to an array of pointers, one per parameter, each pointing at the value; the driver copies the values at
 * launch, so the small temporary arrays made here may be garbage right after.
 *
 * <p>The trap this class exists for: the Java type must have the C parameter's width. {@link #i} is a C
 * {@code int}, {@link #f} a {@code float}, {@link #ptr} an 8-byte device pointer, {@link #dims} a
 * {@code Dims8} struct of 8 ints passed by value, {@link #attnLayout} an {@code AttnLayout} struct of 17 ints
 * (attention_layout.cuh), {@link #bf16} a pointer to bf16 data. A null buffer becomes the pointer value 0, which the
 * kernels test for ("gradient not needed").
 */
final class KernelArgs {
    private final List<Pointer> params = new ArrayList<>(16);
    /** The C type of each parameter as passed ("float*", "int*", "ptr" for unknown/null, "int", "float", "Dims8", "AttnLayout"). */
    private final List<String> kinds = new ArrayList<>(16);

    KernelArgs ptr(CudaBuffer b) {
        params.add(b == null ? Pointer.to(new long[] {0L}) : Pointer.to(b.pointer()));
        kinds.add(b == null ? "ptr" : b.isInt() ? "int*" : "float*");
        return this;
    }

    /**
     * A buffer whose bytes the kernel reads as bf16 ({@code const bf16_t*}): two values per 32-bit element,
     * element 2i in the low half (see {@link Bf16#pack}).
     */
    KernelArgs bf16(CudaBuffer b) {
        params.add(Pointer.to(b.pointer()));
        kinds.add("bf16_t*");
        return this;
    }

    KernelArgs ptr(CUdeviceptr p) {
        params.add(Pointer.to(p));
        kinds.add("ptr");
        return this;
    }

    KernelArgs i(int v) {
        params.add(Pointer.to(new int[] {v}));
        kinds.add("int");
        return this;
    }

    KernelArgs flag(boolean v) {
        return i(v ? 1 : 0);
    }

    KernelArgs f(float v) {
        params.add(Pointer.to(new float[] {v}));
        kinds.add("float");
        return this;
    }

    /** A {@code Dims8} (common.cuh) by value: exactly 8 ints. */
    KernelArgs dims(int[] eight) {
        if (eight.length != 8) throw new IllegalArgumentException("Dims8 needs 8 ints, got " + eight.length);
        params.add(Pointer.to(eight.clone()));
        kinds.add("Dims8");
        return this;
    }

    /**
     * An {@code AttnLayout} (attention_layout.cuh) by value: heads, then offset and batch, head, token strides of
     * q, k, v and out, in that order — 17 ints with no padding, as the struct declares them.
     */
    KernelArgs attnLayout(AttentionLayout l) {
        int[] a = new int[17];
        a[0] = l.heads();
        int i = 1;
        for (Operand o : new Operand[] {l.q(), l.k(), l.v(), l.out()}) {
            a[i++] = o.offset();
            a[i++] = o.batchStride();
            a[i++] = o.headStride();
            a[i++] = o.tokenStride();
        }
        params.add(Pointer.to(a));
        kinds.add("AttnLayout");
        return this;
    }

    int count() {
        return params.size();
    }

    List<String> kinds() {
        return List.copyOf(kinds);
    }

    Pointer toPointer() {
        return Pointer.to(params.toArray(new Pointer[0]));
    }
}
