// emu_check.h — the comparison helpers every emulator check uses: seeded inputs, and expectClose with the
// tolerance rule of the Java parity tests (|actual − expected| ≤ atol + rtol·|expected|, NaN matches NaN,
// infinities must match exactly). Each check prints one "ok"/"FAIL" line and counts into checks/failures.
#pragma once
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

inline int failures = 0, checks = 0;

inline std::vector<float> uniform(unsigned seed, size_t n, float lo, float hi) {
    std::mt19937 g(seed);
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = d(g);
    return v;
}

inline void expectClose(const std::string& name, const std::vector<double>& e, const std::vector<float>& a,
                        double atol, double rtol) {
    checks++;
    size_t bad = 0, worst = 0;
    double worstX = 0;
    for (size_t i = 0; i < e.size(); i++) {
        double err = std::fabs(a[i] - e[i]), allow = atol + rtol * std::fabs(e[i]);
        bool ok = err <= allow || (std::isnan(e[i]) && std::isnan(a[i])) || (std::isinf(e[i]) && e[i] == a[i]);
        if (!ok) {
            bad++;
            double x = std::isnan(err) ? 1e300 : err / allow;
            if (x > worstX) { worstX = x; worst = i; }
        }
    }
    if (bad) {
        failures++;
        std::printf("FAIL %s: %zu of %zu off; worst [%zu] expected %.8g got %.8g\n", name.c_str(), bad, e.size(), worst,
                    e[worst], (double)a[worst]);
    } else {
        std::printf("ok   %s\n", name.c_str());
    }
}

inline std::vector<double> toD(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }
inline unsigned ceilDiv(long a, long b) { return (unsigned)((a + b - 1) / b); }


// Like expectClose, with one allowance per element (an error bound computed by the reference).
inline void expectWithin(const std::string& name, const std::vector<double>& e, const std::vector<float>& a,
                         const std::vector<double>& allow) {
    checks++;
    size_t bad = 0, worst = 0;
    double worstX = 0;
    for (size_t i = 0; i < e.size(); i++) {
        double err = std::fabs(a[i] - e[i]);
        if (!(err <= allow[i])) {
            bad++;
            double x = std::isnan(err) ? 1e300 : err / allow[i];
            if (x > worstX) { worstX = x; worst = i; }
        }
    }
    if (bad) {
        failures++;
        std::printf("FAIL %s: %zu of %zu off; worst [%zu] expected %.8g got %.8g (allowed %.3g)\n", name.c_str(), bad,
                    e.size(), worst, e[worst], (double)a[worst], allow[worst]);
    } else {
        std::printf("ok   %s\n", name.c_str());
    }
}

inline void expectTrue(const std::string& name, bool ok, const std::string& detail = "") {
    checks++;
    if (!ok) {
        failures++;
        std::printf("FAIL %s %s\n", name.c_str(), detail.c_str());
    } else {
        std::printf("ok   %s\n", name.c_str());
    }
}
