// Special functions and distribution tails for the statistical tests: the regularized incomplete
// beta function, Student's t and the standard normal.
//
// Accuracy goal: relative error of a few 1e-14 in both tails, down to the smallest normal
// doubles (p ≈ 1e-300), so corrected p-values and thresholds far in the tail stay meaningful.
// Tails are never formed as 1 − (something close to 1): each function evaluates the smaller
// side directly (continued fraction on the side where it converges, complements passed exactly).
#pragma once

namespace repscope::stats {

// ln B(a, b) for a, b > 0, accurate for large arguments (Stirling differences instead of
// subtracting large lgamma values). NaN for non-positive or NaN arguments.
double log_beta(double a, double b);

// Both tails of the regularized incomplete beta function.
struct BetaTails {
  double lower;  // I_x(a, b)
  double upper;  // 1 − I_x(a, b), computed without cancellation
};

// I_x(a, b) and its complement for a, b > 0 and 0 ≤ x ≤ 1, where y = 1 − x is supplied by the
// caller (computed exactly when x is near 1, e.g. y = t²/(ν+t²)). NaN on invalid arguments.
BetaTails incomplete_beta(double a, double b, double x, double y);
// Convenience forms with y = 1 − x.
double incomplete_beta_lower(double a, double b, double x);  // I_x(a, b)
double incomplete_beta_upper(double a, double b, double x);  // 1 − I_x(a, b)

// Student's t with `df` > 0 degrees of freedom (non-integer allowed; df = +inf is the normal).
// sf(t) = P(T > t) (scipy.stats.t.sf), cdf(t) = P(T ≤ t) (scipy.special.stdtr(df, t)).
// NaN t or invalid df gives NaN; t = ±inf gives exact 0 or 1.
double student_t_sf(double t, double df);
double student_t_cdf(double t, double df);

// Standard normal sf and cdf (scipy.stats.norm.sf / norm.cdf), accurate far into both tails.
double normal_sf(double z);
double normal_cdf(double z);

}  // namespace repscope::stats
