#pragma once
// The patch-pair verifier in the learned pipeline (issue 14, item 3), for the benchmark only: the
// learned matcher's matches, refined by area correlation as the pipeline does, kept where the
// verifier (models/verifier.pt) calls them a true correspondence (probability >= 0.5). The
// pipeline keeps the verifier out until this shows it lowers the error or raises success.
namespace bench {

// Registers, under mmreg's matcher name "learned" (the only learned name the options accept),
// the verified matcher (true) or the plain learned matcher again (false). The benchmark calls it
// before each run of a learned pipeline; runs are sequential. Built with LibTorch only
// (MMREG_BENCH_VERIFIER).
void useVerifiedLearnedMatcher(bool verified);

}  // namespace bench
