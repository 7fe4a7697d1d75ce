// emu_test.cpp — runs every kernel of tessera_kernels.cu under cuda_emu.h (CPU threads) on small, awkward
// shapes and compares with plain double-precision loops written like the Java CPU references. It checks
// indexing, bounds, barriers and shuffle logic on a machine without a GPU; it says nothing about speed or
// about CUDA's own math library, and it never replaces the GPU parity tests (kernels/src/test/java).
// Launch geometry mirrors the Java launchers (their formulas are unit-tested in LaunchGeometryTest).
// Build and run: kernels/emulate-kernels.sh
#include "cuda_emu.h"
#include "tessera_kernels.cu"

#include "emu_check.h"
#include "emu_tc_checks.h"
#include "emu_gemm_mma_checks.h"
#include "emu_attention_layout.h"
#include "emu_flash_checks.h"

static Dims8 dims(std::initializer_list<int> l) { Dims8 d{}; int i = 0; for (int x : l) d.v[i++] = x; return d; }

// ------------------------------------------------------------------------------------------------ strided
static void testStrided() {
    // transpose [37, 53] -> [53, 37] with accumulate, one kernel per block size
    int R = 37, C = 53, n = R * C;
    auto src = uniform(1, n, -1, 1), dst0 = uniform(2, n, -1, 1);
    std::vector<double> e(n);
    for (int i = 0; i < C; i++) for (int j = 0; j < R; j++) e[i * R + j] = (double)dst0[i * R + j] + src[j * C + i];
    for (int block : {32, 256}) {
        auto dst = dst0;
        emu_launch(strided_copy, dim3(ceilDiv(n, block)), dim3(block), 0, src.data(), dst.data(), n, 2, dims({C, R}),
                   dims({1, C}), dims({R, 1}), 1);
        expectClose("strided_copy transpose+acc block " + std::to_string(block), e, dst, 1e-6, 0);
    }
    // accumulate [64, 33] into [33] with a 0 stride: atomic
    {
        int rows = 64, cols = 33;
        auto s = uniform(3, rows * cols, -1, 1);
        std::vector<float> d(cols, 0.5f);
        std::vector<double> ed(cols, 0.5);
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) ed[c] += s[r * cols + c];
        emu_launch(strided_copy_atomic, dim3(ceilDiv(rows * cols, 128)), dim3(128), 0, s.data(), d.data(), rows * cols, 2,
                   dims({rows, cols}), dims({cols, 1}), dims({0, 1}));
        expectClose("strided_copy_atomic", ed, d, 1e-5, 0);
    }
    // unary GELU and binary GELU_GRAD with a row-broadcast b; MAX with NaN
    {
        int m = 9, k = 70;
        auto x = uniform(4, m * k, -4, 4), b = uniform(5, k, -1, 1);
        std::vector<float> out(m * k);
        std::vector<double> eg(m * k), egg(m * k);
        for (int i = 0; i < m * k; i++) {
            double xv = x[i];
            eg[i] = 0.5 * xv * (1 + std::erf(xv / std::sqrt(2.0)));
            double cdf = 0.5 * (1 + std::erf(xv / std::sqrt(2.0))), pdf = std::exp(-0.5 * xv * xv) / std::sqrt(2 * M_PI);
            egg[i] = b[i % k] * (cdf + xv * pdf);
        }
        emu_launch(unary_map, dim3(ceilDiv(m * k, 64)), dim3(64), 0, (int)U_GELU, 0.f, x.data(), out.data(), m * k);
        expectClose("unary GELU", eg, out, 1e-6, 1e-6);
        emu_launch(binary_strided, dim3(ceilDiv(m * k, 64)), dim3(64), 0, (int)B_GELU_GRAD, x.data(), b.data(), out.data(),
                   m * k, 2, dims({m, k}), dims({k, 1}), dims({0, 1}));
        expectClose("binary GELU_GRAD row broadcast", egg, out, 1e-6, 1e-6);
        float a2[3] = {NAN, -0.0f, 1.f}, b2[3] = {1.f, 0.0f, NAN};
        std::vector<float> o2(3);
        emu_launch(binary_strided, dim3(1), dim3(32), 0, (int)B_MAX, a2, b2, o2.data(), 3, 1, dims({3}), dims({1}), dims({1}));
        checks++;
        if (!(std::isnan(o2[0]) && o2[1] == 0.f && !std::signbit(o2[1]) && std::isnan(o2[2]))) {
            failures++;
            std::printf("FAIL MAX Java semantics: %g %g %g\n", o2[0], o2[1], o2[2]);
        } else std::printf("ok   MAX Java semantics\n");
    }
}

// ------------------------------------------------------------------------------------------------ reduce
static void testReduce() {
    struct S { int outer, length, inner; };
    for (S s : {S{1, 1, 1}, S{3, 0, 2}, S{7, 33, 5}, S{2, 1000, 1}, S{1, 3000, 3}}) {
        int outputs = s.outer * s.inner;
        auto x = uniform(10, (size_t)s.outer * s.length * s.inner, -1, 1);
        for (int op : {0, 1}) {
            std::vector<double> e(outputs);
            for (int o = 0; o < s.outer; o++)
                for (int i = 0; i < s.inner; i++) {
                    double acc = op == 0 ? 0 : -INFINITY;
                    for (int k = 0; k < s.length; k++) {
                        double v = x[((size_t)o * s.length + k) * s.inner + i];
                        acc = op == 0 ? acc + v : std::max(acc, v);
                    }
                    e[o * s.inner + i] = acc;
                }
            std::string shape = " [" + std::to_string(s.outer) + "," + std::to_string(s.length) + "," + std::to_string(s.inner) + "]";
            double atol = op == 0 ? 1e-6 * std::max(1, s.length) : 0;
            std::vector<float> out(outputs);
            emu_launch(reduce_v1, dim3(ceilDiv(outputs, 64)), dim3(64), 0, op, x.data(), out.data(), s.outer, s.length, s.inner);
            expectClose("reduce_v1 op " + std::to_string(op) + shape, e, out, atol, 1e-5);
            for (int block : {32, 128}) {
                emu_launch(reduce_v2, dim3(outputs), dim3(block), 0, op, x.data(), out.data(), s.outer, s.length, s.inner);
                expectClose("reduce_v2 op " + std::to_string(op) + " block " + std::to_string(block) + shape, e, out, atol, 1e-5);
            }
            for (int chunks : {1, 7}) {
                std::vector<float> partial((size_t)outputs * chunks);
                emu_launch(reduce_v3_partial, dim3(ceilDiv((long)outputs * chunks, 64)), dim3(64), 0, op, x.data(), partial.data(),
                           s.outer, s.length, s.inner, chunks);
                emu_launch(reduce_v1, dim3(ceilDiv(outputs, 64)), dim3(64), 0, op, partial.data(), out.data(), s.outer, chunks, s.inner);
                expectClose("reduce_v3 op " + std::to_string(op) + " chunks " + std::to_string(chunks) + shape, e, out, atol, 1e-5);
            }
        }
    }
    // argmax with ties and NaN
    int outer = 3, length = 300, inner = 2;
    auto x = uniform(11, outer * length * inner, -1, 1);
    for (int i = 0; i < inner; i++) {
        x[(0 * length + 10) * inner + i] = 5; x[(0 * length + 200) * inner + i] = 5;
        x[(1 * length + 150) * inner + i] = NAN; x[(1 * length + 250) * inner + i] = NAN;
        x[(2 * length + 299) * inner + i] = 9;
    }
    std::vector<int> out(outer * inner);
    emu_launch(argmax_kernel, dim3(outer * inner), dim3(64), 0, x.data(), out.data(), outer, length, inner);
    checks++;
    bool ok = true;
    for (int i = 0; i < inner; i++) ok &= out[0 * inner + i] == 10 && out[1 * inner + i] == 150 && out[2 * inner + i] == 299;
    if (!ok) { failures++; std::printf("FAIL argmax: %d %d %d\n", out[0], out[2], out[4]); } else std::printf("ok   argmax ties/NaN\n");
}

// ------------------------------------------------------------------------------------------------ gemm
static void testGemm() {
    struct S { int batch, m, n, k; bool sharedB; float alpha, beta; };
    for (S s : {S{1, 1, 1, 1, false, 1, 0}, S{1, 65, 33, 17, false, 1, 0}, S{2, 70, 130, 40, true, 0.5f, 1},
                S{1, 7, 5, 0, false, 1, 0.5f}, S{1, 129, 131, 9, false, 1, 0}}) {
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                int aStride = s.m * s.k, bStride = s.sharedB ? 0 : s.k * s.n;
                auto A = uniform(20, std::max(1, s.batch * s.m * s.k), -1, 1);
                auto B = uniform(21, std::max(1, s.sharedB ? s.k * s.n : s.batch * s.k * s.n), -1, 1);
                auto C0 = uniform(22, s.batch * s.m * s.n, -1, 1);
                if (s.beta == 0) for (auto& c : C0) c = NAN;
                std::vector<double> e(C0.size());
                for (int b = 0; b < s.batch; b++)
                    for (int i = 0; i < s.m; i++)
                        for (int j = 0; j < s.n; j++) {
                            double acc = 0;
                            for (int p = 0; p < s.k; p++) {
                                double av = ta ? A[b * aStride + p * s.m + i] : A[b * aStride + i * s.k + p];
                                double bv = tb ? B[b * bStride + j * s.k + p] : B[b * bStride + p * s.n + j];
                                acc += av * bv;
                            }
                            size_t o = ((size_t)b * s.m + i) * s.n + j;
                            e[o] = (s.beta == 0 ? 0 : s.beta * C0[o]) + s.alpha * acc;
                        }
                std::string tag = " ta" + std::to_string(ta) + " tb" + std::to_string(tb) + " [" + std::to_string(s.batch) + "," +
                                  std::to_string(s.m) + "," + std::to_string(s.n) + "," + std::to_string(s.k) + "]";
                double atol = 1e-5 + 3e-7 * s.k;
                auto C = C0;
                emu_launch(gemm_v1, dim3(ceilDiv(s.n, 16), ceilDiv(s.m, 16), s.batch), dim3(16, 16), 0, ta, tb, s.batch, s.m,
                           s.n, s.k, s.alpha, A.data(), aStride, B.data(), bStride, s.beta, C.data());
                expectClose("gemm_v1" + tag, e, C, atol, 1e-5);
                C = C0;
                emu_launch(gemm_v2, dim3(ceilDiv(s.n, 64), ceilDiv(s.m, 64), s.batch), dim3(256), 0, ta, tb, s.batch, s.m, s.n,
                           s.k, s.alpha, A.data(), aStride, B.data(), bStride, s.beta, C.data());
                expectClose("gemm_v2" + tag, e, C, atol, 1e-5);
                C = C0;
                emu_launch(gemm_v3, dim3(ceilDiv(s.n, 128), ceilDiv(s.m, 128), s.batch), dim3(256), 0, ta, tb, s.batch, s.m,
                           s.n, s.k, s.alpha, A.data(), aStride, B.data(), bStride, s.beta, C.data());
                expectClose("gemm_v3" + tag, e, C, atol, 1e-5);
            }
    }
}

// ------------------------------------------------------------------------------------------------ layernorm
static std::vector<float> em32(const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); }

static void testLayerNorm() {
    struct S { int rows, cols; };
    for (S s : {S{1, 1}, S{3, 33}, S{17, 100}, S{70, 40}, S{19, 1024}}) {
        int rows = s.rows, cols = s.cols, n = rows * cols;
        auto x = uniform(30, n, 1, 5), w = uniform(31, cols, 0.5, 1.5), b = uniform(32, cols, -0.5, 0.5);
        auto dy = uniform(33, n, -1, 1), dx0 = uniform(34, n, -1, 1), dw0 = uniform(35, cols, -1, 1), db0 = uniform(36, cols, -1, 1);
        float eps = 1e-6f;
        std::vector<double> eo(n), em(rows), er(rows), edx(n), edw(cols), edb(cols);
        for (int r = 0; r < rows; r++) {
            double s1 = 0; for (int c = 0; c < cols; c++) s1 += x[r * cols + c];
            double mu = s1 / cols, v = 0; for (int c = 0; c < cols; c++) v += (x[r * cols + c] - mu) * (x[r * cols + c] - mu);
            double rs = 1 / std::sqrt(v / cols + eps);
            em[r] = mu; er[r] = rs;
            double sg = 0, sgx = 0;
            for (int c = 0; c < cols; c++) {
                eo[r * cols + c] = (x[r * cols + c] - mu) * rs * w[c] + b[c];
                double g = dy[r * cols + c] * w[c], xh = (x[r * cols + c] - mu) * rs;
                sg += g; sgx += g * xh;
            }
            sg /= cols; sgx /= cols;
            for (int c = 0; c < cols; c++) {
                double g = dy[r * cols + c] * w[c], xh = (x[r * cols + c] - mu) * rs;
                edx[r * cols + c] = dx0[r * cols + c] + rs * (g - sg - xh * sgx);
            }
        }
        for (int c = 0; c < cols; c++) {
            double sw = dw0[c], sb = db0[c];
            for (int r = 0; r < rows; r++) { sw += dy[r * cols + c] * (x[r * cols + c] - em[r]) * er[r]; sb += dy[r * cols + c]; }
            edw[c] = sw; edb[c] = sb;
        }
        std::string shape = " [" + std::to_string(rows) + "x" + std::to_string(cols) + "]";
        for (int v = 1; v <= 2; v++)
            for (int block : {32, 128}) {
                std::vector<float> out(n), mean(rows), rstd(rows);
                auto fwd = v == 1 ? layernorm_forward_v1 : layernorm_forward_v2;
                int perBlock = v == 1 ? block : block / 32;
                emu_launch(fwd, dim3(ceilDiv(rows, perBlock)), dim3(block), 0, x.data(), w.data(), b.data(), out.data(), mean.data(),
                           rstd.data(), rows, cols, eps);
                std::string tag = " v" + std::to_string(v) + " block " + std::to_string(block) + shape;
                expectClose("layernorm out" + tag, eo, out, 2e-5, 2e-5);
                expectClose("layernorm mean" + tag, em, mean, 2e-5, 2e-5);
                expectClose("layernorm rstd" + tag, er, rstd, 2e-5, 2e-5);
                auto dx = dx0, dw = dw0, db = db0;
                auto bdx = v == 1 ? layernorm_backward_dx_v1 : layernorm_backward_dx_v2;
                emu_launch(bdx, dim3(ceilDiv(rows, perBlock)), dim3(block), 0, dy.data(), x.data(), w.data(), mean.data(), rstd.data(),
                           dx.data(), rows, cols);
                expectClose("layernorm dx" + tag, edx, dx, 5e-5, 1e-4);
                if (v == 1) {
                    emu_launch(layernorm_backward_dwdb_v1, dim3(ceilDiv(cols, 128)), dim3(128), 0, dy.data(), x.data(), mean.data(),
                               rstd.data(), dw.data(), db.data(), rows, cols);
                } else {
                    int perChunk = 16;  // small, so several chunks are exercised
                    int chunks = ceilDiv(rows, perChunk);
                    std::vector<float> pw((size_t)chunks * cols), pb((size_t)chunks * cols);
                    emu_launch(layernorm_backward_dwdb_partial, dim3(ceilDiv(cols, 32), chunks), dim3(32, 8), 0, dy.data(), x.data(),
                               mean.data(), rstd.data(), pw.data(), pb.data(), rows, cols, perChunk);
                    emu_launch(layernorm_backward_dwdb_finish, dim3(ceilDiv(cols, 128)), dim3(128), 0, pw.data(), pb.data(),
                               dw.data(), db.data(), chunks, cols);
                }
                expectClose("layernorm dw" + tag, edw, dw, 1e-5 + 2e-6 * rows, 1e-5);
                expectClose("layernorm db" + tag, edb, db, 1e-5 + 2e-6 * rows, 1e-5);
            }
        // The fused backward (dx and dw/db partials in one launch, then the chunk sums), with chunks of 8 rows
        // (one per warp) and of 24 (several rows per warp, a partial last chunk).
        for (int perChunk : {8, 24}) {
            auto dx = dx0, dw = dw0, db = db0;
            int chunks = ceilDiv(rows, perChunk);
            std::vector<float> pw((size_t)chunks * cols, 7.0f), pb((size_t)chunks * cols, 7.0f);
            emu_launch(layernorm_backward_fused, dim3(chunks), dim3(32 * LN_FUSED_WARPS), 0, dy.data(), x.data(), w.data(),
                       em32(em).data(), em32(er).data(), dx.data(), pw.data(), pb.data(), rows, cols, perChunk);
            emu_launch(layernorm_backward_dwdb_finish, dim3(ceilDiv(cols, 128)), dim3(128), 0, pw.data(), pb.data(),
                       dw.data(), db.data(), chunks, cols);
            std::string tag = " fused chunk " + std::to_string(perChunk) + shape;
            expectClose("layernorm dx" + tag, edx, dx, 5e-5, 1e-4);
            expectClose("layernorm dw" + tag, edw, dw, 1e-5 + 2e-6 * rows, 1e-5);
            expectClose("layernorm db" + tag, edb, db, 1e-5 + 2e-6 * rows, 1e-5);
        }
    }
}

// ------------------------------------------------------------------------------------------------ softmax
static void testSoftmax() {
    struct S { int rows, cols; };
    for (S s : {S{1, 1}, S{3, 5}, S{7, 33}, S{4, 1500}}) {
        int rows = s.rows, cols = s.cols, n = rows * cols;
        auto x = uniform(40, n, -40, 40), dy = uniform(41, n, -1, 1), dx0 = uniform(42, n, -1, 1);
        for (int log = 0; log < 2; log++) {
            std::vector<double> ey(n), edx(n);
            std::vector<float> yf(n);
            for (int r = 0; r < rows; r++) {
                double m = -INFINITY; for (int c = 0; c < cols; c++) m = std::max(m, (double)x[r * cols + c]);
                double sum = 0; for (int c = 0; c < cols; c++) sum += std::exp(x[r * cols + c] - m);
                for (int c = 0; c < cols; c++) {
                    ey[r * cols + c] = log ? x[r * cols + c] - m - std::log(sum) : std::exp(x[r * cols + c] - m) / sum;
                    yf[r * cols + c] = (float)ey[r * cols + c];
                }
                double t = 0;
                for (int c = 0; c < cols; c++) t += log ? dy[r * cols + c] : (double)dy[r * cols + c] * yf[r * cols + c];
                for (int c = 0; c < cols; c++)
                    edx[r * cols + c] = dx0[r * cols + c] + (log ? dy[r * cols + c] - std::exp((double)yf[r * cols + c]) * t
                                                                 : yf[r * cols + c] * (dy[r * cols + c] - t));
            }
            for (int v = 1; v <= 3; v++)
                for (int block : {32, 256}) {
                    std::vector<float> y(n);
                    auto fwd = v == 1 ? softmax_forward_v1 : v == 2 ? softmax_forward_v2 : softmax_forward_v3;
                    auto bwd = v == 1 ? softmax_backward_v1 : v == 2 ? softmax_backward_v2 : softmax_backward_v3;
                    unsigned grid = v == 1 ? ceilDiv(rows, block) : v == 2 ? ceilDiv(rows, block / 32) : rows;
                    emu_launch(fwd, dim3(grid), dim3(block), 0, x.data(), y.data(), rows, cols, log);
                    std::string tag = " v" + std::to_string(v) + " block " + std::to_string(block) + (log ? " log" : "") + " [" +
                                      std::to_string(rows) + "x" + std::to_string(cols) + "]";
                    expectClose("softmax out" + tag, ey, y, log ? 2e-5 : 1e-6, log ? 1e-6 : 2e-5);
                    auto dx = dx0;
                    emu_launch(bwd, dim3(grid), dim3(block), 0, dy.data(), yf.data(), dx.data(), rows, cols, log);
                    expectClose("softmax dx" + tag, edx, dx, 2e-5, 1e-4);
                }
        }
    }
}

// ------------------------------------------------------------------------------------------------ attention
static void testAttention() {
    struct S { int bh, lq, lk, d; };
    for (S s : {S{1, 1, 1, 1}, S{2, 5, 7, 3}, S{1, 40, 37, 65}, S{2, 17, 33, 128}, S{1, 20, 64, 32}}) {
        int bh = s.bh, lq = s.lq, lk = s.lk, d = s.d, nq = bh * lq * d, nk = bh * lk * d;
        float scale = 1 / std::sqrt((float)d);
        auto q = uniform(50, nq, -1.5, 1.5), k = uniform(51, nk, -1.5, 1.5), v = uniform(52, nk, -1, 1), g = uniform(53, nq, -1, 1);
        auto dq0 = uniform(54, nq, -1, 1), dk0 = uniform(55, nk, -1, 1), dv0 = uniform(56, nk, -1, 1);
        std::vector<double> eo(nq), el(bh * lq), edq(dq0.begin(), dq0.end()), edk(dk0.begin(), dk0.end()), edv(dv0.begin(), dv0.end());
        for (int h = 0; h < bh; h++)
            for (int i = 0; i < lq; i++) {
                std::vector<double> sc(lk);
                double m = -INFINITY;
                for (int j = 0; j < lk; j++) {
                    double dot = 0;
                    for (int c = 0; c < d; c++) dot += (double)q[(h * lq + i) * d + c] * k[(h * lk + j) * d + c];
                    sc[j] = dot * scale; m = std::max(m, sc[j]);
                }
                double l = 0; for (int j = 0; j < lk; j++) l += std::exp(sc[j] - m);
                double Di = 0;
                for (int c = 0; c < d; c++) {
                    double acc = 0; for (int j = 0; j < lk; j++) acc += std::exp(sc[j] - m) / l * v[(h * lk + j) * d + c];
                    eo[(h * lq + i) * d + c] = acc;
                    Di += acc * g[(h * lq + i) * d + c];
                }
                el[h * lq + i] = m + std::log(l);
                for (int j = 0; j < lk; j++) {
                    double p = std::exp(sc[j] - m) / l, dp = 0;
                    for (int c = 0; c < d; c++) dp += (double)g[(h * lq + i) * d + c] * v[(h * lk + j) * d + c];
                    double ds = p * (dp - Di);
                    for (int c = 0; c < d; c++) {
                        edq[(h * lq + i) * d + c] += scale * ds * k[(h * lk + j) * d + c];
                        edk[(h * lk + j) * d + c] += scale * ds * q[(h * lq + i) * d + c];
                        edv[(h * lk + j) * d + c] += p * g[(h * lq + i) * d + c];
                    }
                }
            }
        std::vector<float> outRef(eo.begin(), eo.end()), lseRef(el.begin(), el.end());
        std::string shape = " [bh " + std::to_string(bh) + " lq " + std::to_string(lq) + " lk " + std::to_string(lk) + " d " +
                            std::to_string(d) + "]";
        AttnLayout lay = attnContiguous(bh, lq, lk, d);
        for (int ver = 1; ver <= 2; ver++) {
            std::vector<float> out(nq), lse(bh * lq), D(bh * lq);
            auto dq = dq0, dk = dk0, dv = dv0;
            int ld = d | 1;
            if (ver == 1) {
                emu_launch(attention_forward_v1, dim3(bh * lq), dim3(64), 4 * lk, q.data(), k.data(), v.data(), out.data(),
                           lse.data(), lay, bh, lq, lk, d, scale);
            } else {
                emu_launch(attention_forward_v2, dim3(bh * ceilDiv(lq, 16)), dim3(128), 4 * (32 * ld + 32 * d + 16 * d), q.data(),
                           k.data(), v.data(), out.data(), lse.data(), lay, bh, lq, lk, d, scale);
            }
            expectClose("attention out v" + std::to_string(ver) + shape, eo, out, 2e-5, 1e-4);
            expectClose("attention lse v" + std::to_string(ver) + shape, el, lse, 2e-5, 1e-5);
            emu_launch(attention_backward_dot, dim3(ceilDiv(bh * lq, 8)), dim3(256), 0, g.data(), outRef.data(), D.data(), lay, bh, lq, d);
            if (ver == 1) {
                emu_launch(attention_backward_dq_v1, dim3(bh * lq), dim3(64), 4 * lk, q.data(), k.data(), v.data(), lseRef.data(),
                           D.data(), g.data(), dq.data(), lay, bh, lq, lk, d, scale, 0);
                emu_launch(attention_backward_dkdv_v1, dim3(bh * lk), dim3(64), 8 * lq, q.data(), k.data(), v.data(), lseRef.data(),
                           D.data(), g.data(), dk.data(), dv.data(), lay, bh, lq, lk, d, scale, 0);
            } else {
                emu_launch(attention_backward_dq_v2, dim3(bh * ceilDiv(lq, 8)), dim3(128), 4 * (2 * 32 * ld + 2 * 8 * d), q.data(),
                           k.data(), v.data(), lseRef.data(), D.data(), g.data(), dq.data(), lay, bh, lq, lk, d, scale, 0);
                emu_launch(attention_backward_dkdv_v2, dim3(bh * ceilDiv(lk, 8)), dim3(128), 4 * (2 * 32 * ld + 64 + 2 * 8 * d),
                           q.data(), k.data(), v.data(), lseRef.data(), D.data(), g.data(), dk.data(), dv.data(), lay, bh, lq, lk, d,
                           scale, 0);
            }
            expectClose("attention dq v" + std::to_string(ver) + shape, edq, dq, 5e-5, 5e-4);
            expectClose("attention dk v" + std::to_string(ver) + shape, edk, dk, 5e-5, 5e-4);
            expectClose("attention dv v" + std::to_string(ver) + shape, edv, dv, 5e-5, 5e-4);
        }
    }
}

// The v1 and v2 kernels over strided layouts: q, k, v inside one packed qkv [n, t, 3D] (its gradient one buffer
// too, dq/dk/dv at offsets 0, D, 2D) and token-major cross-attention [n, L, D]; gradients added (into random
// values) or overwritten (into NaN: an element the kernels miss stays NaN and fails). lk = 0 and lq = 0 in
// overwrite mode: dq (resp. dk, dv) must come out zero, which the kernels write by running over no keys (queries).
static void testAttentionLayouts() {
    struct C { bool packed; int n, heads, lq, lk, d; };
    for (C c : {C{true, 2, 3, 21, 21, 40}, C{true, 1, 2, 50, 50, 64}, C{false, 2, 3, 9, 23, 40}, C{false, 1, 2, 37, 70, 128},
                C{false, 1, 2, 5, 0, 40}, C{false, 1, 2, 0, 6, 40}}) {
        int dim = c.heads * c.d, bh = c.n * c.heads, lq = c.lq, lk = c.lk, d = c.d, ld = d | 1;
        AttnLayout lay = c.packed ? attnPackedQkv(c.n, lq, c.heads, d) : attnTokenMajor(c.n, c.heads, lq, lk, d);
        size_t nq = (size_t)c.n * lq * (c.packed ? 3 * dim : dim), nk = c.packed ? nq : (size_t)c.n * lk * dim;
        size_t no = (size_t)c.n * lq * dim;
        float scale = 1 / std::sqrt((float)d);
        auto q = uniform(80, nq, -1.5, 1.5), k = uniform(81, nk, -1.5, 1.5), v = uniform(82, nk, -1, 1);
        auto g = uniform(83, no, -1, 1), g0 = uniform(84, nq, -1, 1), gk0 = uniform(85, nk, -1, 1), gv0 = uniform(86, nk, -1, 1);
        const float* pk = c.packed ? q.data() : k.data();
        const float* pv = c.packed ? q.data() : v.data();
        std::string shape = std::string(c.packed ? " packed qkv" : " token-major") + " [n " + std::to_string(c.n) + " h " +
                            std::to_string(c.heads) + " lq " + std::to_string(lq) + " lk " + std::to_string(lk) + " d " +
                            std::to_string(d) + "]";
        for (int overwrite = 0; overwrite <= 1; overwrite++) {
            std::vector<double> eo(no), el((size_t)bh * lq), eq(nq, 0.0), ek(nk, 0.0), ev(nk, 0.0);
            if (!overwrite) { eq = toD(g0); ek = toD(gk0); ev = toD(gv0); }
            attnReferenceOverLayout(lay, bh, lq, lk, d, scale, q, c.packed ? q : k, c.packed ? q : v, g, eo, el, eq,
                                    c.packed ? eq : ek, c.packed ? eq : ev);
            std::vector<float> outRef(eo.begin(), eo.end()), lseRef(el.begin(), el.end());
            std::string mode = overwrite ? " overwrite" : " accumulate";
            for (int ver = 1; ver <= 2; ver++) {
                std::string tag = " v" + std::to_string(ver) + mode + shape;
                std::vector<float> out(no, NAN), lse((size_t)bh * lq, NAN), D((size_t)bh * lq);
                std::vector<float> dq = overwrite ? std::vector<float>(nq, NAN) : g0;
                std::vector<float> dk = overwrite ? std::vector<float>(nk, NAN) : gk0;
                std::vector<float> dv = overwrite ? std::vector<float>(nk, NAN) : gv0;
                float* gk = c.packed ? dq.data() : dk.data();
                float* gv = c.packed ? dq.data() : dv.data();
                if (lq > 0) {
                    if (ver == 1) {
                        emu_launch(attention_forward_v1, dim3(bh * lq), dim3(64), 4 * lk, q.data(), pk, pv, out.data(), lse.data(),
                                   lay, bh, lq, lk, d, scale);
                    } else {
                        emu_launch(attention_forward_v2, dim3(bh * ceilDiv(lq, 16)), dim3(128), 4 * (32 * ld + 32 * d + 16 * d),
                                   q.data(), pk, pv, out.data(), lse.data(), lay, bh, lq, lk, d, scale);
                    }
                    expectClose("attention out" + tag, eo, out, 2e-5, 1e-4);
                    expectClose("attention lse" + tag, el, lse, 2e-5, 1e-5);
                    emu_launch(attention_backward_dot, dim3(ceilDiv((long)bh * lq, 8)), dim3(256), 0, g.data(), outRef.data(),
                               D.data(), lay, bh, lq, d);
                    if (ver == 1) {
                        emu_launch(attention_backward_dq_v1, dim3(bh * lq), dim3(64), 4 * lk, q.data(), pk, pv, lseRef.data(), D.data(),
                                   g.data(), dq.data(), lay, bh, lq, lk, d, scale, overwrite);
                    } else {
                        emu_launch(attention_backward_dq_v2, dim3(bh * ceilDiv(lq, 8)), dim3(128), 4 * (2 * 32 * ld + 2 * 8 * d),
                                   q.data(), pk, pv, lseRef.data(), D.data(), g.data(), dq.data(), lay, bh, lq, lk, d, scale, overwrite);
                    }
                }
                if (lk > 0) {
                    if (ver == 1) {
                        emu_launch(attention_backward_dkdv_v1, dim3(bh * lk), dim3(64), 8 * lq, q.data(), pk, pv, lseRef.data(),
                                   D.data(), g.data(), gk, gv, lay, bh, lq, lk, d, scale, overwrite);
                    } else {
                        emu_launch(attention_backward_dkdv_v2, dim3(bh * ceilDiv(lk, 8)), dim3(128), 4 * (2 * 32 * ld + 64 + 2 * 8 * d),
                                   q.data(), pk, pv, lseRef.data(), D.data(), g.data(), gk, gv, lay, bh, lq, lk, d, scale, overwrite);
                    }
                }
                expectClose("attention dq" + std::string(c.packed ? "/dk/dv (one buffer)" : "") + tag, eq, dq, 5e-5, 5e-4);
                if (!c.packed) {
                    expectClose("attention dk" + tag, ek, dk, 5e-5, 5e-4);
                    expectClose("attention dv" + tag, ev, dv, 5e-5, 5e-4);
                }
            }
        }
    }
}

// ------------------------------------------------------------------------------------------------ gather, adamw
static void testGatherAndAdamW() {
    int outer = 3, length = 10, keep = 4, inner = 33;
    auto src = uniform(60, outer * length * inner, -1, 1), upd = uniform(61, outer * keep * inner, -1, 1);
    std::vector<int> idx = {9, 0, 3, 3, 1, 2, 5, 8, 7, 6, 4, 0};
    std::vector<double> eg(outer * keep * inner), es(src.begin(), src.end());
    for (int o = 0; o < outer; o++)
        for (int j = 0; j < keep; j++)
            for (int c = 0; c < inner; c++) {
                int t = idx[o * keep + j];
                eg[(o * keep + j) * inner + c] = src[(o * length + t) * inner + c];
                es[(o * length + t) * inner + c] += upd[(o * keep + j) * inner + c];
            }
    std::vector<float> out(outer * keep * inner), dst = src;
    int err[5] = {0, 0, 0, 0, 0};
    emu_launch(gather_rows, dim3(ceilDiv(out.size(), 64)), dim3(64), 0, src.data(), idx.data(), out.data(), outer, length, keep, inner, err);
    expectClose("gather", eg, out, 0, 0);
    emu_launch(scatter_add_rows, dim3(ceilDiv(out.size(), 64)), dim3(64), 0, upd.data(), idx.data(), dst.data(), outer, length, keep,
               inner, err);
    expectClose("scatter_add (repeated index)", es, dst, 1e-6, 0);
    idx[6] = 11;
    emu_launch(gather_rows, dim3(ceilDiv(out.size(), 64)), dim3(64), 0, src.data(), idx.data(), out.data(), outer, length, keep, inner, err);
    checks++;
    if (!(err[0] == 1 && err[1] == 1 && err[2] == 2 && err[3] == 11 && err[4] == 10)) {
        failures++;
        std::printf("FAIL gather error record %d %d %d %d %d\n", err[0], err[1], err[2], err[3], err[4]);
    } else std::printf("ok   gather error record\n");

    int n = 1000;
    auto p = uniform(70, n, -1, 1), gr = uniform(71, n, -1, 1);
    std::vector<float> m(n, 0.f), v(n, 0.f), pe = p, me = m, ve = v;
    float b1 = 0.9f, b2 = 0.999f, lr = 1e-3f, wd = 0.05f, eps = 1e-8f;
    int t = 1;
    double bc1 = 1.0 - std::pow(b1, t), bc2 = 1.0 - std::pow(b2, t);
    float stepSize = (float)(lr / bc1), bc2Sqrt = (float)std::sqrt(bc2), decay = 1.f - lr * wd;
    for (int i = 0; i < n; i++) {
        float gi = gr[i], mi = b1 * me[i] + (1 - b1) * gi, vi = b2 * ve[i] + (1 - b2) * gi * gi;
        me[i] = mi; ve[i] = vi;
        float denom = std::sqrt(vi) / bc2Sqrt + eps;
        pe[i] = pe[i] * decay - stepSize * mi / denom;
    }
    int nonFinite = 0;
    emu_launch(adamw_step, dim3(ceilDiv(n, 128)), dim3(128), 0, p.data(), gr.data(), m.data(), v.data(), n, b1, b2, 1 - b1, 1 - b2,
               eps, stepSize, bc2Sqrt, decay, &nonFinite);
    expectClose("adamw param", toD(pe), p, 0, 0);
    expectClose("adamw m", toD(me), m, 0, 0);
    expectClose("adamw v", toD(ve), v, 0, 0);
    checks++;
    if (nonFinite != 0) {
        failures++;
        std::printf("FAIL adamw non-finite word set by a finite step\n");
    } else std::printf("ok   adamw non-finite word stays 0 for a finite step\n");
    // A gradient of 1e30 squares to infinity in v (the overflow a diverging run hits first): the word is set.
    gr[617] = 1e30f;
    emu_launch(adamw_step, dim3(ceilDiv(n, 128)), dim3(128), 0, p.data(), gr.data(), m.data(), v.data(), n, b1, b2, 1 - b1, 1 - b2,
               eps, stepSize, bc2Sqrt, decay, &nonFinite);
    checks++;
    if (nonFinite != 1 || !std::isinf(v[617])) {
        failures++;
        std::printf("FAIL adamw non-finite word %d after v[617] = %g\n", nonFinite, v[617]);
    } else std::printf("ok   adamw non-finite word set by an overflowing v\n");

    // The ranged form over [600, 1000) and [10, 300) of fresh buffers: the same updates there, nothing elsewhere
    // (a finite gradient again at 617, so the word stays 0).
    gr[617] = 0.25f;
    nonFinite = 0;
    auto p2 = uniform(70, n, -1, 1);
    std::vector<float> m2(n, 0.f), v2(n, 0.f), pe2 = p2, me2 = m2, ve2 = v2;
    int table[5] = {600, 10, 0, 400, 690};
    for (int i = 0; i < n; i++) {
        if (!((i >= 600) || (i >= 10 && i < 300))) continue;
        float gi = gr[i], mi = b1 * me2[i] + (1 - b1) * gi, vi = b2 * ve2[i] + (1 - b2) * gi * gi;
        me2[i] = mi; ve2[i] = vi;
        pe2[i] = pe2[i] * decay - stepSize * mi / (std::sqrt(vi) / bc2Sqrt + eps);
    }
    float scalars[8] = {b1, b2, 1 - b1, 1 - b2, eps, stepSize, bc2Sqrt, decay};   // AdamWStep.scalars order
    emu_launch(adamw_ranges, dim3(3), dim3(64), 0, p2.data(), gr.data(), m2.data(), v2.data(), n, table, 2, scalars,
               &nonFinite);
    expectClose("adamw_ranges param", toD(pe2), p2, 0, 0);
    expectClose("adamw_ranges m", toD(me2), m2, 0, 0);
    expectClose("adamw_ranges v", toD(ve2), v2, 0, 0);
    checks++;
    if (nonFinite != 0) {
        failures++;
        std::printf("FAIL adamw_ranges non-finite word set by a finite step\n");
    } else std::printf("ok   adamw_ranges non-finite word stays 0 for a finite step\n");
}

// ------------------------------------------------------------------------------------------------ masking
// Reference: a stable sort of the indices by Float.compare (what MaskingCpu computes), written independently.
static int javaCompare(float a, float b) {
    if (a < b) return -1;
    if (a > b) return 1;
    int x = std::isnan(a) ? 0x7fc00000 : (int)__float_as_uint(a), y = std::isnan(b) ? 0x7fc00000 : (int)__float_as_uint(b);
    return x == y ? 0 : (x < y ? -1 : 1);
}

static void testMasking() {
    struct S { int rows, length, keep, block; bool ties; };
    for (S s : {S{4, 49, 12, 32, true}, S{3, 196, 49, 256, false}, S{2, 300, 0, 64, true}, S{1, 7, 7, 32, false}}) {
        auto noise = uniform(90 + s.length, s.rows * s.length, -1, 1);
        const float pool[] = {0.f, -0.f, 1.f, NAN, INFINITY, -INFINITY};
        if (s.ties) for (size_t i = 0; i < noise.size(); i += 2) noise[i] = pool[i / 2 % 6];
        std::vector<int> shuffle(noise.size()), restore(noise.size()), kept(s.rows * s.keep);
        std::vector<float> mask(noise.size());
        std::vector<double> eS(noise.size()), eR(noise.size()), eK(kept.size()), eM(noise.size());
        for (int r = 0; r < s.rows; r++) {
            std::vector<int> order(s.length);
            for (int i = 0; i < s.length; i++) order[i] = i;
            const float* row = noise.data() + (size_t)r * s.length;
            std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return javaCompare(row[a], row[b]) < 0; });
            for (int t = 0; t < s.length; t++) {
                int p = order[t];
                eS[r * s.length + t] = p;
                eR[r * s.length + p] = t;
                eM[r * s.length + p] = t < s.keep ? 0 : 1;
                if (t < s.keep) eK[r * s.keep + t] = p;
            }
        }
        emu_launch(argsort_mask, dim3(s.rows), dim3(s.block), 4 * s.length, noise.data(), s.rows, s.length, s.keep,
                   shuffle.data(), restore.data(), kept.data(), mask.data());
        std::string tag = " [" + std::to_string(s.rows) + ", " + std::to_string(s.length) + "] keep " + std::to_string(s.keep);
        expectClose("argsort_mask shuffle" + tag, eS, std::vector<float>(shuffle.begin(), shuffle.end()), 0, 0);
        expectClose("argsort_mask restore" + tag, eR, std::vector<float>(restore.begin(), restore.end()), 0, 0);
        expectClose("argsort_mask keep" + tag, eK, std::vector<float>(kept.begin(), kept.end()), 0, 0);
        expectClose("argsort_mask mask" + tag, eM, mask, 0, 0);
    }
}

// ------------------------------------------------------------------------------------------------ gradclip
static void testGradClip() {
    struct S { int n, block, parts; float maxNorm; bool nan; };
    for (S s : {S{5000, 64, 7, 1.f, false}, S{1001, 32, 3, 1000.f, false}, S{0, 32, 0, 1.f, false}, S{300, 32, 2, 0.1f, true}}) {
        auto g = uniform(95 + s.n, s.n, -1, 1);
        if (s.nan) g[17] = NAN;
        double ss = 0;
        for (float x : g) ss += (double)x * x;
        double t = std::sqrt(ss), c = s.maxNorm / (t + 1e-6);
        bool clips = std::isfinite(t) && c < 1;
        std::vector<double> eg(g.size());
        for (size_t i = 0; i < g.size(); i++) eg[i] = clips ? (double)(float)c * g[i] : g[i];
        std::vector<float> scratch(s.parts + 1), norm(1);
        emu_launch(grad_sumsq_partial, dim3(s.parts), dim3(s.block), 0, g.data(), s.n, scratch.data());
        emu_launch(grad_clip_finish, dim3(1), dim3(s.block), 0, scratch.data(), s.parts, s.maxNorm, norm.data(),
                   scratch.data() + s.parts);
        emu_launch(grad_clip_scale, dim3(s.parts), dim3(s.block), 0, g.data(), s.n, scratch.data() + s.parts);
        std::string tag = " n " + std::to_string(s.n) + " maxNorm " + std::to_string(s.maxNorm);
        expectClose("grad_clip norm" + tag, std::vector<double>{t}, norm, 0, 1e-6);
        expectClose("grad_clip gradients" + tag, eg, g, 0, 1e-6);
    }
}

// ------------------------------------------------------------------------------------------------ gemm epilogue
static void testGemmEpilogue() {
    int m = 70, n = 45, k = 33;
    auto x = uniform(110, m * k, -1, 1), w = uniform(111, n * k, -1, 1), bias = uniform(112, n, -1, 1);
    std::vector<double> epre(m * n), eout(m * n), elin(m * n);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int p = 0; p < k; p++) s += (double)x[i * k + p] * w[j * k + p];
            elin[i * n + j] = s;
            epre[i * n + j] = s + bias[j];
            eout[i * n + j] = 0.5 * epre[i * n + j] * (1 + std::erf(epre[i * n + j] / std::sqrt(2.0)));
        }
    struct V { const char* name; void (*kernel)(int, int, int, int, int, int, float, const float*, int, const float*, int, float,
                                                float*, const float*, float*, int); int tile; };
    for (V v : {V{"v2", gemm_epilogue_v2, 64}, V{"v3", gemm_epilogue_v3, 128}}) {
        std::vector<float> out(m * n), pre(m * n);
        emu_launch(v.kernel, dim3(ceilDiv(n, v.tile), ceilDiv(m, v.tile), 1), dim3(256), 0, 0, 1, 1, m, n, k, 1.f, x.data(), 0,
                   w.data(), 0, 0.f, out.data(), bias.data(), pre.data(), 1);
        expectClose(std::string("gemm_epilogue_") + v.name + " pre-activation", epre, pre, 1e-5, 1e-5);
        expectClose(std::string("gemm_epilogue_") + v.name + " GELU", eout, out, 1e-5, 1e-5);
        emu_launch(v.kernel, dim3(ceilDiv(n, v.tile), ceilDiv(m, v.tile), 1), dim3(256), 0, 0, 1, 1, m, n, k, 1.f, x.data(), 0,
                   w.data(), 0, 0.f, out.data(), (const float*)nullptr, (float*)nullptr, 0);
        expectClose(std::string("gemm_epilogue_") + v.name + " no bias, no GELU", elin, out, 1e-5, 1e-5);
    }
}

// ------------------------------------------------------------------------------------------------ gemm wgrad
// dW = Gᵀ·X (+ beta·dW) and db (+)= Σ_rows G in one launch, against double loops; shapes that leave partial tiles in
// m, n and k, more than one column tile (only the first writes db) and a k of 0.
static void testGemmWgrad() {
    struct S { int rows, m, n; float beta; int dbAdd; };
    for (S s : {S{77, 45, 33, 0.f, 0}, S{300, 130, 70, 1.f, 1}, S{1, 1, 1, 0.f, 1}, S{0, 9, 5, 1.f, 1}, S{40, 200, 260, 0.f, 0}}) {
        auto G = uniform(120 + s.rows, std::max(1, s.rows * s.m), -1, 1), X = uniform(121, std::max(1, s.rows * s.n), -1, 1);
        auto dW0 = uniform(122, s.m * s.n, -1, 1), db0 = uniform(123, s.m, -1, 1);
        if (s.beta == 0) for (auto& c : dW0) c = NAN;
        if (!s.dbAdd) for (auto& c : db0) c = NAN;
        std::vector<double> eW(s.m * s.n), eb(s.m);
        for (int i = 0; i < s.m; i++) {
            double sum = 0;
            for (int p = 0; p < s.rows; p++) sum += G[p * s.m + i];
            eb[i] = (s.dbAdd ? db0[i] : 0) + sum;
            for (int j = 0; j < s.n; j++) {
                double acc = 0;
                for (int p = 0; p < s.rows; p++) acc += (double)G[p * s.m + i] * X[p * s.n + j];
                eW[i * s.n + j] = (s.beta == 0 ? 0 : s.beta * dW0[i * s.n + j]) + acc;
            }
        }
        struct V { const char* name; void (*kernel)(int, int, int, const float*, const float*, float, float*, float*, int); int tile; };
        for (V v : {V{"v2", gemm_wgrad_v2, 64}, V{"v3", gemm_wgrad_v3, 128}}) {
            auto dW = dW0, db = db0;
            emu_launch(v.kernel, dim3(ceilDiv(s.n, v.tile), ceilDiv(s.m, v.tile), 1), dim3(256), 0, s.m, s.n, s.rows, G.data(),
                       X.data(), s.beta, dW.data(), db.data(), s.dbAdd);
            std::string tag = std::string(v.name) + " [" + std::to_string(s.rows) + "," + std::to_string(s.m) + "," +
                              std::to_string(s.n) + "]";
            double atol = 1e-5 + 3e-7 * s.rows;
            expectClose("gemm_wgrad_" + tag + " dW", eW, dW, atol, 1e-5);
            expectClose("gemm_wgrad_" + tag + " db", eb, db, atol, 1e-5);
        }
    }
}

// ------------------------------------------------------------------------------------------------ scaled residual
// Forward and da against the same float operations (they are defined as rounded in that order, so exact), gamma's
// gradient against double loops; every optional operand present and absent, partial column blocks, one sample.
static void testScaledResidual() {
    struct S { int samples, rows, cols; bool gamma, keep, da, dgamma, accumulate; };
    for (S s : {S{3, 7, 45, true, true, true, true, false}, S{2, 20, 64, true, false, true, true, true},
                S{4, 5, 33, false, true, true, false, true}, S{1, 9, 100, true, true, false, true, false},
                S{2, 3, 31, true, true, true, false, false}}) {
        int n = s.samples * s.rows * s.cols;
        auto x = uniform(140, n, -1, 1), a = uniform(141, n, -1, 1), g = uniform(142, n, -1, 1);
        auto gamma = uniform(143, s.cols, -1, 1), keep = uniform(144, s.samples, 0, 2), da0 = uniform(145, n, -1, 1);
        keep[0] = 0;                                        // a dropped sample
        const float* gp = s.gamma ? gamma.data() : nullptr;
        const float* kp = s.keep ? keep.data() : nullptr;
        std::vector<double> eOut(n), eDa(n), eDg(s.cols, 0.0);
        for (int sm = 0; sm < s.samples; sm++)
            for (int r = 0; r < s.rows; r++)
                for (int c = 0; c < s.cols; c++) {
                    int i = (sm * s.rows + r) * s.cols + c;
                    float t = a[i];
                    if (s.gamma) t = t * gamma[c];
                    if (s.keep) t = t * keep[sm];
                    eOut[i] = (float)(x[i] + t);
                    float gt = s.keep ? g[i] * keep[sm] : g[i];
                    float v = s.gamma ? gt * gamma[c] : gt;
                    eDa[i] = s.accumulate ? (float)(da0[i] + v) : v;
                    eDg[c] += (double)gt * a[i];
                }
        std::string tag = " [" + std::to_string(s.samples) + "," + std::to_string(s.rows) + "," + std::to_string(s.cols) + "]" +
                          (s.gamma ? " gamma" : "") + (s.keep ? " keep" : "") + (s.accumulate ? " +=" : "");
        std::vector<float> out(n, NAN);
        emu_launch(scaled_residual_forward, dim3(ceilDiv(n, 128)), dim3(128), 0, x.data(), a.data(), gp, kp, s.samples,
                   s.rows, s.cols, out.data());
        expectClose("scaled_residual_forward" + tag, eOut, out, 0, 0);
        auto da = da0;
        if (!s.accumulate) for (auto& v : da) v = NAN;
        std::vector<float> perSample(s.samples * s.cols, NAN), dgamma(s.cols, NAN);
        bool sums = s.gamma && s.dgamma;
        emu_launch(scaled_residual_backward, dim3(ceilDiv(s.cols, 32), s.samples), dim3(32, RESIDUAL_ROWS), 0, g.data(),
                   a.data(), gp, kp, s.rows, s.cols, s.da ? da.data() : nullptr, s.accumulate ? 1 : 0,
                   sums ? perSample.data() : nullptr);
        if (s.da) expectClose("scaled_residual_backward da" + tag, eDa, da, 0, 0);
        if (sums) {
            emu_launch(scaled_residual_dgamma_finish, dim3(ceilDiv(s.cols, 64)), dim3(64), 0, perSample.data(), s.samples,
                       s.cols, dgamma.data());
            expectClose("scaled_residual dgamma" + tag, eDg, dgamma, 1e-5, 1e-5);
        }
    }
}

// ------------------------------------------------------------------------------------------------ column sums
static void testColumnSums() {
    struct S { int rows, cols; };
    for (S s : {S{77, 45}, S{1, 1}, S{300, 64}, S{5, 100}}) {
        auto x = uniform(97 + s.rows, s.rows * s.cols, -1, 1), out = uniform(98, s.cols, -1, 1);
        std::vector<double> e(out.begin(), out.end());
        for (int r = 0; r < s.rows; r++) for (int c = 0; c < s.cols; c++) e[c] += x[r * s.cols + c];
        emu_launch(column_sums_add, dim3(ceilDiv(s.cols, 32)), dim3(32, COLUMN_SUMS_ROWS), 0, x.data(), s.rows, s.cols, out.data());
        expectClose("column_sums_add [" + std::to_string(s.rows) + ", " + std::to_string(s.cols) + "]", e, out, 1e-5, 1e-5);
    }
}

int main(int argc, char** argv) {
    bool full = argc > 1 && std::string(argv[1]) == "--full";
    checkTensorCoreInstructions();
    checkGemmMma(full);
    checkFlash(full);
    testStrided();
    testReduce();
    testGemm();
    testLayerNorm();
    testSoftmax();
    testAttention();
    testAttentionLayouts();
    testGatherAndAdamW();
    testMasking();
    testGradClip();
    testColumnSums();
    testGemmEpilogue();
    testGemmWgrad();
    testScaledResidual();
    std::printf("%d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
