#include "stats/distributions.h"

#include <cmath>
#include <limits>
#include <numbers>

namespace repscope::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kHalfLog2Pi = 0.91893853320467274178;  // ln(2π)/2

// Stirling's series remainder: lgamma(x) − [(x − ½) ln x − x + ½ ln 2π], for x ≥ 15, where the
// terms through x⁻¹³ leave an error below 1e-19.
double stirling_correction(double x) {
  const double r = 1.0 / x;
  const double r2 = r * r;
  return r * (1.0 / 12 +
              r2 * (-1.0 / 360 +
                    r2 * (1.0 / 1260 +
                          r2 * (-1.0 / 1680 +
                                r2 * (1.0 / 1188 + r2 * (-691.0 / 360360 + r2 * (1.0 / 156)))))));
}
constexpr double kStirlingMin = 15.0;

// ln x when the complement y = 1 − x is known exactly: log1p(−y) keeps precision near x = 1.
double log_of(double x, double y) {
  return y < 0.5 ? std::log1p(-y) : std::log(x);
}

// ln(x (a+b) / a) for the power terms: log1p of the relative deviation of x from its mean when
// that is small, a plain log otherwise (log1p(−1 + tiny) would lose the tiny part).
double log_relative(double x, double y, double a, double b) {
  const double e = (x * b - y * a) / a;
  if (std::fabs(e) < 0.5) return std::log1p(e);
  return std::log(x) + std::log((a + b) / a);
}

// ln[x^a y^b / B(a, b)], the prefactor of the continued fraction.
double log_power_terms(double a, double b, double x, double y) {
  if (a >= kStirlingMin && b >= kStirlingMin) {
    // Combine the powers with the Stirling form of B(a, b) so no large terms cancel.
    const double c = a + b;
    const double corr = stirling_correction(a) + stirling_correction(b) - stirling_correction(c);
    return a * log_relative(x, y, a, b) + b * log_relative(y, x, b, a) + 0.5 * std::log(a / c * b) -
           kHalfLog2Pi - corr;
  }
  return a * log_of(x, y) + b * log_of(y, x) - log_beta(a, b);
}

// The continued fraction of I_x(a, b) in the form of Didonato & Morris (1992) as Boost's
// ibeta_fraction2 writes it: I_x(a, b) = x^a y^b / B(a, b) / (b0 + a1/(b1 + a2/(b2 + ...))).
// Its terms use y = 1 − x directly (a·y − b·x + 1), so nothing cancels when x is near 1 and a is
// large (Numerical Recipes' form loses ~1e-10 there through 1 − (a+b)x/(a+1)). Converges fast
// for x < (a + 1) / (a + b + 2); evaluated by the modified Lentz method.
double beta_continued_fraction(double a, double b, double x, double y) {
  constexpr double kTiny = 1e-300;
  constexpr double kEps = 1e-16;
  constexpr int kMaxIterations = 100000;
  double f = a * (a * y - b * x + 1.0) / (a + 1.0);  // b0
  if (f == 0.0) f = kTiny;
  double c = f, d = 0.0;
  for (int m = 1; m <= kMaxIterations; ++m) {
    const double denom = a + 2.0 * m - 1.0;
    const double an = (a + m - 1.0) * (a + b + m - 1.0) * m * (b - m) * x * x / (denom * denom);
    const double bn = m + m * (b - m) * x / denom +
                      (a + m) * (a * y - b * x + 1.0 + m * (2.0 - x)) / (a + 2.0 * m + 1.0);
    d = bn + an * d;
    if (d == 0.0) d = kTiny;
    c = bn + an / c;
    if (c == 0.0) c = kTiny;
    d = 1.0 / d;
    const double step = c * d;
    f *= step;
    if (std::fabs(step - 1.0) <= kEps) break;
  }
  return f;
}

// I_x(a, b) on the side where the continued fraction converges.
double incomplete_beta_direct(double a, double b, double x, double y) {
  return std::exp(log_power_terms(a, b, x, y)) / beta_continued_fraction(a, b, x, y);
}

}  // namespace

double log_beta(double a, double b) {
  if (!(a > 0.0) || !(b > 0.0)) return kNaN;
  const double p = std::fmin(a, b), q = std::fmax(a, b);
  if (q < kStirlingMin) return std::lgamma(p) + std::lgamma(q) - std::lgamma(p + q);
  if (p < kStirlingMin) {
    // lgamma(q) − lgamma(p + q) by Stirling, with its large terms cancelled analytically.
    const double diff = -(q - 0.5) * std::log1p(p / q) - p * std::log(p + q) + p +
                        stirling_correction(q) - stirling_correction(p + q);
    return std::lgamma(p) + diff;
  }
  const double c = p + q;
  return kHalfLog2Pi + (p - 0.5) * std::log(p / c) + (q - 0.5) * std::log(q / c) -
         0.5 * std::log(c) + stirling_correction(p) + stirling_correction(q) -
         stirling_correction(c);
}

BetaTails incomplete_beta(double a, double b, double x, double y) {
  if (!(a > 0.0) || !(b > 0.0) || !(x >= 0.0) || !(y >= 0.0) || x > 1.0 || y > 1.0 ||
      std::isinf(a) || std::isinf(b)) {
    return {kNaN, kNaN};
  }
  if (x == 0.0) return {0.0, 1.0};
  if (y == 0.0) return {1.0, 0.0};
  if (x < (a + 1.0) / (a + b + 2.0)) {
    const double lower = incomplete_beta_direct(a, b, x, y);
    return {lower, 1.0 - lower};
  }
  const double upper = incomplete_beta_direct(b, a, y, x);
  return {1.0 - upper, upper};
}

double incomplete_beta_lower(double a, double b, double x) {
  return incomplete_beta(a, b, x, 1.0 - x).lower;
}
double incomplete_beta_upper(double a, double b, double x) {
  return incomplete_beta(a, b, x, 1.0 - x).upper;
}

double student_t_sf(double t, double df) {
  if (std::isnan(t) || std::isnan(df) || !(df > 0.0)) return kNaN;
  if (std::isinf(df)) return normal_sf(t);
  if (t == 0.0) return 0.5;
  if (std::isinf(t)) return t > 0 ? 0.0 : 1.0;
  // P(|T| > |t|) = I_x(df/2, 1/2) with x = df/(df + t²); x and y = 1 − x are formed without
  // overflow of t² and without cancellation near x = 1.
  double x, y;
  const double at = std::fabs(t);
  if (at * at > df) {
    const double r = (df / at) / at;  // df / t² < 1
    if (r < 1e-280) {
      // x = df/t² underflows or nearly: I_x(a, ½) = x^a / (a B(a, ½)) · (1 + O(x)), in logs.
      const double a = 0.5 * df;
      const double log_x = std::log(df) - 2.0 * std::log(at);
      const double two_sided = std::exp(a * log_x - std::log(a) - log_beta(a, 0.5));
      return t > 0 ? 0.5 * two_sided : 1.0 - 0.5 * two_sided;
    }
    x = r / (1.0 + r);
    y = 1.0 / (1.0 + r);
  } else {
    const double r = (at / df) * at;  // t² / df ≤ 1
    x = 1.0 / (1.0 + r);
    y = r / (1.0 + r);
  }
  const BetaTails tails = incomplete_beta(0.5 * df, 0.5, x, y);
  const double half_two_sided = 0.5 * tails.lower;
  return t > 0 ? half_two_sided : 0.5 + 0.5 * tails.upper;
}

double student_t_cdf(double t, double df) {
  return student_t_sf(-t, df);
}

double normal_sf(double z) {
  return 0.5 * std::erfc(z / std::numbers::sqrt2);
}
double normal_cdf(double z) {
  return 0.5 * std::erfc(-z / std::numbers::sqrt2);
}

}  // namespace repscope::stats
