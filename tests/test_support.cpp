#include "test_support.h"

#include "mmreg/preprocess.h"
#include "mmreg/raster.h"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal_alg.h>
#include <gdal_priv.h>
#include <gdal_utils.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>

namespace mmreg_test {

std::string sharedData() { return MMREG_SHARED_DATA; }
std::string sampleData() { return MMREG_SAMPLE_DATA; }

bool fileExists(const std::string& p) {
  VSIStatBufL st;
  return VSIStatL(p.c_str(), &st) == 0;
}

bool haveSharedData() { return fileExists(sharedData() + "/3mos/SEN_city.png"); }

std::string freshDir(const std::string& name) {
  const char* tmp = std::getenv("TMPDIR");
  const std::string dir = std::string(tmp ? tmp : "/tmp") + "/mmreg_test_" + std::to_string(getpid()) + "_" + name;
  removeTree(dir);
  VSIMkdirRecursive(dir.c_str(), 0755);
  return dir;
}

void removeTree(const std::string& dir) { VSIRmdirRecursive(dir.c_str()); }

int countEntries(const std::string& dir) {
  char** e = VSIReadDir(dir.c_str());
  int n = 0;
  for (int i = 0; e && e[i]; ++i)
    if (std::string(e[i]) != "." && std::string(e[i]) != "..") ++n;
  CSLDestroy(e);
  return n;
}

CliResult runProgram(const std::string& program, const std::string& args) {
  CliResult r;
  const std::string cmd = "'" + program + "' " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run " + cmd);
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int status = pclose(p);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

CliResult runCli(const std::string& args) { return runProgram(MMREG_CLI, args); }

CliResult runAndSignal(const std::string& program, const std::vector<std::string>& args, int sig, const std::string& after,
                       double delay) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    std::signal(sig, SIG_DFL);  // a test run in the background inherits SIGINT ignored
    std::vector<char*> argv{const_cast<char*>(program.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  close(fds[1]);
  CliResult r;
  char buf[256];
  ssize_t n = 0;
  while ((r.output.empty() || r.output.find(after) == std::string::npos) && (n = read(fds[0], buf, sizeof buf)) > 0)
    r.output.append(buf, static_cast<size_t>(n));
  usleep(static_cast<useconds_t>(delay * 1e6));
  kill(pid, sig);
  while ((n = read(fds[0], buf, sizeof buf)) > 0) r.output.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

GdalPixelMapping::GdalPixelMapping(const std::string& raster, const std::string& reference) {
  GDALAllRegister();
  raster_ = GDALOpen(raster.c_str(), GA_ReadOnly);
  reference_ = GDALOpen(reference.c_str(), GA_ReadOnly);
  if (!raster_ || !reference_) throw std::runtime_error("cannot open " + raster + " or " + reference);
  transformer_ = GDALCreateGenImgProjTransformer2(raster_, reference_, nullptr);
  if (!transformer_) throw std::runtime_error("GDAL cannot relate " + raster + " to " + reference);
}

GdalPixelMapping::~GdalPixelMapping() {
  if (transformer_) GDALDestroyGenImgProjTransformer(transformer_);
  if (raster_) GDALClose(raster_);
  if (reference_) GDALClose(reference_);
}

mmreg::Point2 GdalPixelMapping::operator()(mmreg::Point2 p) const {
  double x = p.x, y = p.y, z = 0;
  int ok = 0;
  GDALGenImgProjTransform(transformer_, FALSE, 1, &x, &y, &z, &ok);
  if (!ok) throw std::runtime_error("GDAL's transformer failed on a point");
  return {x, y};
}

double worstMappingError(const std::string& raster, const std::string& reference,
                         const std::function<mmreg::Point2(mmreg::Point2)>& truth, double from, double to, int steps) {
  const GdalPixelMapping m(raster, reference);
  double worst = 0;
  for (int j = 0; j <= steps; ++j)
    for (int i = 0; i <= steps; ++i) {
      const mmreg::Point2 p{from + (to - from) * i / steps, from + (to - from) * j / steps};
      const mmreg::Point2 a = m(p), t = truth(p);
      worst = std::max(worst, std::hypot(a.x - t.x, a.y - t.y));
    }
  return worst;
}

mmreg::AlignedPair threeMosPair(const std::string& stem, int k) {
  for (auto& p : mmreg::load3Mos(sharedData() + "/3mos"))
    if (p.name == "3mos/" + stem + "/" + std::to_string(k)) return p;
  throw std::runtime_error("no 3MOS pair " + stem);
}

std::vector<double> trainingLosses(const std::string& output) {
  std::vector<double> losses;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    int it = 0;
    double loss = 0;
    if (std::sscanf(line.c_str(), "iteration %d loss %lf", &it, &loss) == 2) losses.push_back(loss);
  }
  return losses;
}

std::string trainerSmokeAndResumeProblem(const std::string& program, const std::string& args, std::string* firstOutput) {
  const auto first = runProgram(program, args + " --iterations 10");
  if (firstOutput) *firstOutput = first.output;
  if (first.exitCode != 0) return "the first run failed:\n" + first.output;
  const auto losses = trainingLosses(first.output);
  if (losses.size() != 2) return "expected 2 logged losses:\n" + first.output;
  if (!(losses.back() < losses.front())) return "the loss did not fall:\n" + first.output;
  const auto resumed = runProgram(program, args + " --iterations 15 --resume");
  if (resumed.exitCode != 0) return "the resumed run failed:\n" + resumed.output;
  if (resumed.output.find("resumed from") == std::string::npos || resumed.output.find("iteration 15 ") == std::string::npos)
    return "the run did not resume to iteration 15:\n" + resumed.output;
  if (resumed.output.find("iteration 5 ") != std::string::npos) return "the resumed run started over:\n" + resumed.output;
  return "";
}

mmreg::Image s1s2SampleWindow(bool sar, int x, int y, int side) {
  const auto r = mmreg::GeoRaster::open(sampleData() + (sar ? "/s1s2_075_sensed.tif" : "/s1s2_075_ref.tif"));
  std::vector<mmreg::Image> bands;
  for (int b = 1; b <= (sar ? 1 : 3); ++b) bands.push_back(r.readWindow(b, {x, y, side, side}, side, side));
  return mmreg::preprocess(mmreg::combineBands(bands), sar ? mmreg::Modality::Sar : mmreg::Modality::Optical);
}

bool translateRaster(const std::string& source, const std::string& target, const std::vector<std::string>& args) {
  GDALDatasetUniquePtr src(GDALDataset::Open(source.c_str(), GDAL_OF_RASTER));
  if (!src) return false;
  CPLStringList list;
  for (const auto& a : args) list.AddString(a.c_str());
  GDALTranslateOptions* opt = GDALTranslateOptionsNew(list.List(), nullptr);
  GDALDatasetUniquePtr out(GDALDataset::FromHandle(GDALTranslate(target.c_str(), src.get(), opt, nullptr)));
  GDALTranslateOptionsFree(opt);
  return out != nullptr;
}

bool cropRaster(const std::string& source, const std::string& target, int x, int y, int w, int h) {
  return translateRaster(source, target, {"-srcwin", std::to_string(x), std::to_string(y), std::to_string(w), std::to_string(h)});
}

bool copyWithEditedPixels(const std::string& source, const std::string& target,
                          const std::function<void(std::vector<unsigned char>&, int, int)>& edit, std::optional<double> nodata) {
  GDALDatasetUniquePtr src(GDALDataset::Open(source.c_str(), GDAL_OF_RASTER));
  if (!src) return false;
  GDALDatasetUniquePtr out(
      GetGDALDriverManager()->GetDriverByName("GTiff")->CreateCopy(target.c_str(), src.get(), FALSE, nullptr, nullptr, nullptr));
  if (!out) return false;
  const int w = out->GetRasterXSize(), h = out->GetRasterYSize();
  std::vector<unsigned char> px(static_cast<size_t>(w) * h);
  GDALRasterBand* b = out->GetRasterBand(1);
  if (b->RasterIO(GF_Read, 0, 0, w, h, px.data(), w, h, GDT_Byte, 0, 0) != CE_None) return false;
  edit(px, w, h);
  if (b->RasterIO(GF_Write, 0, 0, w, h, px.data(), w, h, GDT_Byte, 0, 0) != CE_None) return false;
  if (nodata) return b->SetNoDataValue(*nodata) == CE_None;
  int has = FALSE;
  b->GetNoDataValue(&has);
  return !has || b->DeleteNoDataValue() == CE_None;
}

}  // namespace mmreg_test
