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

// Lee filter for multiplicative speckle on linear intensity, over a win x win window.
Image leeFilter(const Image& intensity, int win, double looks);

// SAR amplitude -> intensity -> Lee filter -> dB.  Optical: unchanged.  Then both are
// normalised robustly to [0,1] between the 2nd and 98th percentiles of the valid pixels.
Image preprocess(const Image& image, Modality modality);

// Linear map of the [lowPct, highPct] percentile range of valid pixels onto [0,1], clipped.
void normalizeRobust(Image& image, double lowPct = 2.0, double highPct = 98.0);

}  // namespace mmreg
