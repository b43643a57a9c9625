/* lesson_checks.c: the registry of lesson measures (names, labels in both languages, when each
 * is defined), the comparison of a measured value with a bound, and running one check.
 * The measures themselves: lesson_measures.c and lesson_measures_flow.c.
 */
#include "lesson_checks.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson_measures.h"
#include "paths.h"
#include "status.h"

/* ---- when a measure is defined ---------------------------------------------------------- */

static int needs_depth2(const SceneParams *p, char *err, size_t errlen)
{
    if (p->net.depth >= 2) return RESLAB_OK;
    return status_set(err, errlen, RESLAB_ERR_INVALID, "needs --depth 2 or more (two blocks)");
}

static int needs_projection(const SceneParams *p, char *err, size_t errlen)
{
    ShortcutKind k = p->net.shortcut;
    if (k != SHORTCUT_ZEROPAD && k != SHORTCUT_PROJECT && k != SHORTCUT_PROJECT_ALL)
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "needs --shortcut zeropad, project or project-all (the step has %s)",
                          block_shortcut_name(k));
    if (p->net.bn)
        return status_set(err, errlen, RESLAB_ERR_INVALID, "is computed without batch norm: drop --bn");
    const NetConfig *n = &p->net;
    BlockConfig cfg = {n->input_width ? n->input_width : n->width, n->width,
                       n->hidden ? n->hidden : n->width, n->act, n->shortcut, n->order, n->lambda,
                       n->bn, n->dropout_p};
    if (block_config_check(&cfg, err, errlen)) return RESLAB_ERR_INVALID;
    return RESLAB_OK;
}

static int needs_linear(const SceneParams *p, char *err, size_t errlen)
{
    const NetConfig *n = &p->net;
    if (n->act != ACT_IDENTITY || n->bias_std != 0.0 || n->bn || n->shortcut != SHORTCUT_IDENTITY)
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "needs linear blocks: --act identity, --shortcut identity, no --bias-std, "
                          "no --bn");
    return needs_depth2(p, err, errlen);
}

static int needs_scaled(const SceneParams *p, char *err, size_t errlen)
{
    if (p->net.shortcut == SHORTCUT_SCALED) return RESLAB_OK;
    return status_set(err, errlen, RESLAB_ERR_INVALID, "needs --shortcut scaled (the step has %s)",
                      block_shortcut_name(p->net.shortcut));
}

/* F = 0 and f = identity: the shortcut path alone, unmasked. */
static int needs_scaled_identity_f(const SceneParams *p, char *err, size_t errlen)
{
    if (needs_scaled(p, err, errlen)) return RESLAB_ERR_INVALID;
    if (p->net.order == ORDER_PRE || p->net.act == ACT_IDENTITY) return RESLAB_OK;
    return status_set(err, errlen, RESLAB_ERR_INVALID,
                      "needs f = identity: --order pre (or --act identity); after a ReLU on the sum "
                      "the shortcut path is masked");
}

static int needs_path_counts(const SceneParams *p, char *err, size_t errlen)
{
    if (p->net.depth <= PATHS_COUNT_MAX) return RESLAB_OK;
    return status_set(err, errlen, RESLAB_ERR_INVALID, "needs --depth %d or less", PATHS_COUNT_MAX);
}

/* stats_predicted_factor's cases without a prediction that can be told from the options. */
static int needs_prediction(const SceneParams *p, char *err, size_t errlen)
{
    const NetConfig *n = &p->net;
    ShortcutKind k = n->shortcut;
    if (n->act == ACT_TANH || n->bias_std != 0.0 || n->bn || k == SHORTCUT_GATE ||
        k == SHORTCUT_GATE_SHORTCUT || k == SHORTCUT_DROPOUT)
        return status_set(err, errlen, RESLAB_ERR_INVALID,
                          "has no prediction with tanh, biases, batch norm, gates or dropout (stats.h)");
    return RESLAB_OK;
}

/* ---- the registry ----------------------------------------------------------------------- */

static const LessonMeasure registry[] = {
    {"identity_error", {"one block with F = 0: max |y − x|", "F = 0 的单个块：max |y − x|"},
     NULL, measure_identity_error},
    {"block_residual_norm", {"what one block adds: ‖F(x)‖ / ‖x‖", "一个块增加的量：‖F(x)‖ / ‖x‖"},
     NULL, measure_block_residual_norm},
    {"projection_error", {"projection shortcut: max |y − (F(x) + W_s x)|, computed two ways",
                          "投影捷径：max |y − (F(x) + W_s x)|，两种方法计算"},
     needs_projection, measure_projection_error},
    {"unroll_error", {"unrolled sum vs x_L, max relative error", "展开和与 x_L 的最大相对误差"},
     NULL, measure_unroll_error},
    {"wrong_expansion_error", {"wrong expansion x + F1(x) + F2(x) vs x_2, relative error",
                               "错误展开 x + F1(x) + F2(x) 与 x_2 的相对误差"},
     needs_depth2, measure_wrong_expansion_error},
    {"split_error", {"split F2(x + F1(x)) = F2(x) + F2(F1(x)), relative error",
                     "拆分 F2(x + F1(x)) = F2(x) + F2(F1(x)) 的相对误差"},
     needs_depth2, measure_split_error},
    {"four_path_error", {"four paths x + M1 x + M2 x + M2 M1 x vs x_2, relative error",
                         "四条路径 x + M1 x + M2 x + M2 M1 x 与 x_2 的相对误差"},
     needs_linear, measure_four_path_error},
    {"plain_grad0", {"plain net: ‖dL/dx_0‖", "普通网络：‖dL/dx_0‖"}, NULL, measure_plain_grad0},
    {"residual_grad0", {"residual net: ‖dL/dx_0‖", "残差网络：‖dL/dx_0‖"}, NULL,
     measure_residual_grad0},
    {"grad0_ratio", {"‖dL/dx_0‖, plain / residual", "‖dL/dx_0‖：普通 / 残差"}, NULL,
     measure_grad0_ratio},
    {"plain_gain", {"plain net: gradient gain ‖dL/dx_0‖ / ‖dL/dx_L‖",
                    "普通网络：梯度增益 ‖dL/dx_0‖ / ‖dL/dx_L‖"}, NULL, measure_plain_gain},
    {"residual_gain", {"residual net: gradient gain ‖dL/dx_0‖ / ‖dL/dx_L‖",
                       "残差网络：梯度增益 ‖dL/dx_0‖ / ‖dL/dx_L‖"}, NULL, measure_residual_gain},
    {"jacobian_min_sv", {"smallest singular value of dx_L/dx_0", "dx_L/dx_0 的最小奇异值"}, NULL,
     measure_jacobian_min_sv},
    {"jacobian_max_sv", {"largest singular value of dx_L/dx_0", "dx_L/dx_0 的最大奇异值"}, NULL,
     measure_jacobian_max_sv},
    {"jacobian_condition", {"condition number of dx_L/dx_0", "dx_L/dx_0 的条件数"}, NULL,
     measure_jacobian_condition},
    {"lambda_power", {"shortcut factor λ^L", "捷径因子 λ^L"}, needs_scaled, measure_lambda_power},
    {"lambda_gain", {"F = 0: gradient gain / |λ|^L", "F = 0 时：梯度增益 / |λ|^L"},
     needs_scaled_identity_f, measure_lambda_gain},
    {"lambda_gain_error", {"F = 0: |gradient gain / |λ|^L − 1|", "F = 0 时：|梯度增益 / |λ|^L − 1|"},
     needs_scaled_identity_f, measure_lambda_gain_error},
    {"path_fraction_short", {"share of the 2^L paths with length ≤ L/2",
                             "长度 ≤ L/2 的路径在 2^L 条路径中的比例"},
     needs_path_counts, measure_path_fraction_short},
    {"lesion_error", {"residual net, middle block deleted: relative change of x_L",
                      "残差网络删去中间的块：x_L 的相对变化"}, NULL, measure_lesion_error},
    {"plain_lesion_error", {"plain net, middle block deleted: relative change of x_L",
                            "普通网络删去中间的块：x_L 的相对变化"}, NULL, measure_plain_lesion_error},
    {"gradcheck_max_error", {"gradient check: worst relative error", "梯度检验：最大相对误差"},
     NULL, measure_gradcheck_max_error},
    {"gradcheck_kinks", {"gradient check: entries left out at ReLU kinks",
                         "梯度检验：因跨过 ReLU 折点而略去的条目数"}, NULL, measure_gradcheck_kinks},
    {"train_error_plain", {"plain net: training error after training (spirals)",
                           "普通网络：训练结束时的训练误差（螺旋数据）"}, NULL, measure_train_error_plain},
    {"train_error_residual", {"residual net: training error after training (spirals)",
                              "残差网络：训练结束时的训练误差（螺旋数据）"}, NULL,
     measure_train_error_residual},
    {"variance_growth", {"second-moment growth per block, measured", "每个块的二阶矩增长倍数（实测）"},
     NULL, measure_variance_growth},
    {"variance_growth_predicted", {"second-moment growth per block, predicted",
                                   "每个块的二阶矩增长倍数（理论预测）"},
     needs_prediction, measure_variance_growth_predicted},
    {"variance_growth_ratio", {"second-moment growth per block, measured / predicted",
                               "每个块的二阶矩增长倍数：实测 / 预测"},
     needs_prediction, measure_variance_growth_ratio},
    {"activation_overflow", {"plain net overflows (1 yes, 0 no)", "普通网络溢出（1 是，0 否）"},
     NULL, measure_activation_overflow},
    {"residual_overflow", {"residual net overflows (1 yes, 0 no)", "残差网络溢出（1 是，0 否）"},
     NULL, measure_residual_overflow},
};
#define NREGISTRY (sizeof registry / sizeof registry[0])

size_t lesson_checks_count(void) { return NREGISTRY; }

const LessonMeasure *lesson_checks_at(size_t i) { return i < NREGISTRY ? &registry[i] : NULL; }

const LessonMeasure *lesson_checks_find(const char *name)
{
    for (size_t i = 0; i < NREGISTRY; i++)
        if (strcmp(name, registry[i].name) == 0) return &registry[i];
    return NULL;
}

void lesson_checks_list(char *buf, size_t len)
{
    if (!len) return;
    buf[0] = '\0';
    for (size_t i = 0; i < NREGISTRY; i++) {
        size_t k = strlen(buf);
        snprintf(buf + k, len - k, "%s%s", i ? ", " : "", registry[i].name);
    }
}

int lesson_checks_usable(const LessonMeasure *m, const SceneParams *p, char *err, size_t errlen)
{
    return m->usable ? m->usable(p, err, errlen) : RESLAB_OK;
}

static const char *const op_names[] = {"<", "<=", ">", ">="};

const char *lesson_checks_op_name(LessonOp op) { return op <= LESSON_OP_GE ? op_names[op] : "?"; }

int lesson_checks_op_parse(const char *s, LessonOp *op)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, op_names[i]) == 0) {
            *op = (LessonOp)i;
            return RESLAB_OK;
        }
    return RESLAB_ERR_INVALID;
}

int lesson_checks_compare(double value, LessonOp op, double bound)
{
    switch (op) {                       /* every comparison with NaN is false */
    case LESSON_OP_LT: return value < bound;
    case LESSON_OP_LE: return value <= bound;
    case LESSON_OP_GT: return value > bound;
    case LESSON_OP_GE: return value >= bound;
    }
    return 0;
}

int lesson_checks_run(const LessonCheck *c, const SceneParams *p, LessonCheckResult *r,
                      char *err, size_t errlen)
{
    double v = NAN;
    int rc = lesson_checks_usable(c->measure, p, err, errlen);
    if (!rc) rc = c->measure->measure(p, &v, err, errlen);
    if (rc) return rc;
    r->value = v;
    r->overflow = isnan(v);             /* the measures return NaN for an overflowed net */
    r->passed = lesson_checks_compare(r->value, c->op, c->bound);
    r->label[LESSON_EN] = c->measure->label[LESSON_EN];
    r->label[LESSON_ZH] = c->measure->label[LESSON_ZH];
    return RESLAB_OK;
}

void lesson_checks_format(double value, LessonOp op, double bound, LessonLang lang, char *buf,
                          size_t len)
{
    if (isnan(value)) {
        snprintf(buf, len, "%s", lang == LESSON_ZH ? "溢出" : "overflow");
        return;
    }
    int verdict = lesson_checks_compare(value, op, bound);
    for (int prec = 2; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, value);
        double shown = strtod(buf, NULL);
        if (lesson_checks_compare(shown, op, bound) == verdict && (shown != bound || value == bound))
            return;
    }
}

void lesson_checks_describe(const LessonCheck *c, const LessonCheckResult *r, LessonLang lang,
                            char *buf, size_t len)
{
    const char *label = c->measure->label[lang], *op = lesson_checks_op_name(c->op);
    char v[40];
    if (!r) {
        snprintf(buf, len, lang == LESSON_ZH ? "%s：%s %s（未运行）" : "%s: %s %s, not run", label, op,
                 c->bound_text);
        return;
    }
    lesson_checks_format(r->value, c->op, c->bound, lang, v, sizeof v);
    snprintf(buf, len, lang == LESSON_ZH ? "%s：测得 %s %s %s" : "%s: measured %s %s %s", label, v, op,
             c->bound_text);
}

const char *lesson_checks_verdict(int passed, LessonLang lang)
{
    if (lang == LESSON_ZH) return passed ? "通过" : "未通过";
    return passed ? "passed" : "FAILED";
}
