// One drawing function per stimulus category. Each paints a fresh size×size greyscale canvas from
// its own random stream, so an image depends only on (seed, category, index).
#pragma once

#include "tools/stimuli/canvas.h"
#include "tools/stimuli/rng.h"
#include "tools/stimuli/text.h"

namespace repscope::stimuli {

// Schematic face: head oval (with ears, optional hair), eyes with pupils, brows, nose, mouth;
// proportions, expression, tilt, tones and position vary.
Canvas draw_face(Rng& rng, int size);
// Stick figure with a thick torso and limbs in a random pose (arms, legs, lean), fitted to the
// frame.
Canvas draw_body(Rng& rng, int size);
// Perspective scene: a corridor, a room or a house (one- or two-point perspective).
Canvas draw_scene(Rng& rng, int size);
// One word from the built-in list in a random DejaVu face (or the fallback font).
Canvas draw_word(Rng& rng, int size, const FontSet& fonts);

// The built-in word list (common English words, 3–8 letters).
const std::vector<const char*>& word_list();

}  // namespace repscope::stimuli
