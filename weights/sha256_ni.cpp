// The SHA-256 block function on the x86 SHA extensions (SHA-NI). Only this function is compiled
// for "sha,sse4.1" (through the target attribute, not -m flags), so the library still runs on
// CPUs without them; sha_ni_available() gates every call.
#include "weights/sha256.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define REPSCOPE_SHA_NI_BUILD 1
#else
#include "nn/error.h"
#endif

namespace repscope::sha256 {

#ifdef REPSCOPE_SHA_NI_BUILD

bool sha_ni_available() {
  static const bool available = __builtin_cpu_supports("sha") && __builtin_cpu_supports("sse4.1");
  return available;
}

// The state is kept as two registers in the order the instructions want (ABEF and CDGH). Each
// iteration of the unrolled loop runs four rounds on four message words and extends the
// message schedule by four words (W[t] for t = 16..63) with msg1/msg2.
__attribute__((target("sha,sse4.1"))) void compress_sha_ni(std::uint32_t* state,
                                                           const std::uint8_t* data,
                                                           std::size_t blocks) {
  // Byte swap within each 32-bit word: the message words are big-endian.
  const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  const __m128i dcba = _mm_loadu_si128(reinterpret_cast<const __m128i*>(state));
  const __m128i hgfe = _mm_loadu_si128(reinterpret_cast<const __m128i*>(state + 4));
  const __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
  const __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
  __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
  __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);

  for (; blocks > 0; --blocks, data += 64) {
    const __m128i abef_in = abef;
    const __m128i cdgh_in = cdgh;
    __m128i w[4];
    for (int i = 0; i < 4; ++i) {
      w[i] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(data + 16 * i)),
                              byte_swap);
    }
#pragma GCC unroll 16
    for (int g = 0; g < 16; ++g) {
      __m128i wk = _mm_add_epi32(
          w[g & 3], _mm_load_si128(reinterpret_cast<const __m128i*>(kRound.data() + 4 * g)));
      cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
      if (g < 12) {
        // W[t..t+3] = msg2(W[t-16..t-13] + sigma0(W[t-15..t-12]) + W[t-7..t-4], W[t-4..t-1]).
        const __m128i w_minus7 = _mm_alignr_epi8(w[(g + 3) & 3], w[(g + 2) & 3], 4);
        w[g & 3] = _mm_sha256msg2_epu32(
            _mm_add_epi32(_mm_sha256msg1_epu32(w[g & 3], w[(g + 1) & 3]), w_minus7),
            w[(g + 3) & 3]);
      }
      wk = _mm_shuffle_epi32(wk, 0x0E);
      abef = _mm_sha256rnds2_epu32(abef, cdgh, wk);
    }
    abef = _mm_add_epi32(abef, abef_in);
    cdgh = _mm_add_epi32(cdgh, cdgh_in);
  }

  const __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
  const __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state), _mm_blend_epi16(feba, dchg, 0xF0));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state + 4), _mm_alignr_epi8(dchg, feba, 8));
}

#else  // not x86: the scalar function is the only one

bool sha_ni_available() {
  return false;
}

void compress_sha_ni(std::uint32_t*, const std::uint8_t*, std::size_t) {
  fail("SHA-256: the SHA-NI implementation exists only on x86");
}

#endif

}  // namespace repscope::sha256
