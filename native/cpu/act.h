/*
 * act.h: the activations on one vector (T4J_ACT_*), shared by elementwise.c and the linear
 * epilogue in gemm.c. Reference: t4j_ref_act in native/ref/t4j_ref.c.
 */
#ifndef T4J_ACT_H
#define T4J_ACT_H

#include "variant.h"

static inline vf act_vec(int32_t act, vf x) {
    switch (act) {
    case T4J_ACT_GELU: {
        /*
         * erf(z) = z p(z^2) / q(z^2) on z clamped to [-4, 4] (beyond, erf is +-1 in float): the
         * rational approximation of Eigen and XLA, |error| < 4e-7. No exponential, no branch:
         * about 20 vector operations where Abramowitz-Stegun 7.1.26 with exp took 35.
         */
        vf z = vmin(vmax(x * 0.70710678118654752f, vset(-4.0f)), vset(4.0f)), z2 = z * z;
        vf p = z2 * -2.72614225801306e-10f + 2.77068142495902e-08f;
        p = p * z2 - 2.10102402082508e-06f;
        p = p * z2 - 5.69250639462346e-05f;
        p = p * z2 - 7.34990630326855e-04f;
        p = p * z2 - 2.95459980854025e-03f;
        p = p * z2 - 1.60960333262415e-02f;
        vf q = z2 * -1.45660718464996e-05f - 2.13374055278905e-04f;
        q = q * z2 - 1.68282697438203e-03f;
        q = q * z2 - 7.37332916720468e-03f;
        q = q * z2 - 1.42647390514189e-02f;
        vf erfz = z * p * vrcp_finite(q);
        vf h = 0.5f * x;
        return h + h * erfz;
    }
    case T4J_ACT_GELU_TANH: {
        vf u = 0.79788456080286536f * (x + 0.044715f * x * x * x);
        vf th = 1.0f - 2.0f * vrcp(vexp(2.0f * u) + 1.0f);
        return 0.5f * x * (1.0f + th);
    }
    case T4J_ACT_RELU:
        return vmax(x, vset(0.0f));
    case T4J_ACT_SILU:
        return x * vrcp(1.0f + vexp(-x));
    default:
        return x;
    }
}

#endif
