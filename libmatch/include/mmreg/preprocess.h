#pragma once
// Modality-aware preprocessing: what makes SAR and optical tiles comparable.
#include <string>
#include <vector>

#include "mmreg/image.h"

namespace mmreg {

enum class Modality { Auto, Optical, Sar };
const char* modalityName(Modality m);
bool parseModality(const std::string& text, Modality* out);

// Weighted sum of bands (Rec. 601 luminance for three bands, the mean otherwise); a pixel is
// valid only where every band is.
Image combineBands(const std::vector<Image>& bands);

// Guesses SAR vs optical from the speckle statistic: the median over 7x7 windows of
// mean^2/variance (the equivalent number of looks) is low for SAR, high for optical imagery.
// Conservative: says Sar only where speckle is evident.
Modality guessModality(const Image& amplitude);

// Whether a SAR band holds backscatter in decibels (10 log10 of intensity, as Earth Engine's
// S1_GRD and SNAP's *_dB bands give it) rather than amplitude or intensity, which are never
// negative: at least a fifth of its valid pixels are negative, and its 1st to 99th percentiles
// lie within -80 to 40 (dB).
bool looksLikeDecibels(const Image& band);
// 10^(dB/20): the amplitude a band in decibels encodes; invalid pixels stay invalid.
Image amplitudeFromDecibels(const Image& decibels);

// Lee filter for multiplicative speckle on linear intensity, over a win x win window.
Image leeFilter(const Image& intensity, int win, double looks);

// SAR amplitude (or, with `decibels`, dB) -> intensity -> Lee filter -> dB.  Optical: unchanged.
// Then both are normalised robustly to [0,1] between the 2nd and 98th percentiles of the valid
// pixels.
Image preprocess(const Image& image, Modality modality, bool decibels = false);

// Linear map of the [lowPct, highPct] percentile range of valid pixels onto [0,1], clipped.
void normalizeRobust(Image& image, double lowPct = 2.0, double highPct = 98.0);

}  // namespace mmreg
