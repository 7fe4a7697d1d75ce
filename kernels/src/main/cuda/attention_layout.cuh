// attention_layout.cuh — where the attention kernels (attention.cu, attention_flash.cu) find each head's rows.
// Java side: engine/.../backend/AttentionLayout.java (the record this struct mirrors field by field) and
// KernelArgs.attnLayout, which passes it by value as 17 ints.
//
// Row t of head h of sample b of an operand starts at element offset + b·batch + h·head + t·token; the head-dim
// axis has unit stride. The kernels index heads by bh = b·heads + h (the grid decodes bh), so one struct covers
// the contiguous [B·H, L, d] heads (heads = 1, batch stride L·d), the packed qkv Linear output [N, T, 3D]
// (token stride 3D, q/k/v at offsets 0, D, 2D, head stride d) and token-major [N, L, D] tensors (CAE's
// cross-attention). Gradients share their operand's layout (dq as q, dk as k, dv as v, dout as o); lse and D
// stay contiguous [bh, lq]. Offsets and strides are ints (a buffer holds < 2³¹ elements); row starts and every
// element index built from them are size_t, so no product has to be proven to stay below 2³¹.
#pragma once

struct AttnOperand {
    int offset, batch, head, token;
};

struct AttnLayout {
    int heads;
    AttnOperand q, k, v, o;
};

// Element index where row t of head bh (= b·heads + h) starts.
__device__ __forceinline__ size_t attn_row(const AttnOperand& x, int heads, int bh, int t) {
    const int b = bh / heads, h = bh - b * heads;
    return (size_t)x.offset + (size_t)b * x.batch + (size_t)h * x.head + (size_t)t * x.token;
}
