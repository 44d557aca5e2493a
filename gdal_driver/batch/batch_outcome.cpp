#include "batch/batch_outcome.h"

#include <cpl_json.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "mmreg/coregister.h"
#include "mmreg/error.h"
#include "mmreg_lib.h"

namespace {

void fill(PairOutcome& o, const mmreg::CoregisterResult& r) {
  o.model = mmreg::modelName(r.fit.forward->type());
  o.parameters = r.fit.forward->parameters();
  o.rmseCheckPx = std::isfinite(r.fit.rmseCheck) ? r.fit.rmseCheck : -1;
}

CPLJSONObject toJson(const PairOutcome& o) {
  CPLJSONObject j;
  j.Add("index", o.index);
  j.Add("rank", o.rank);
  j.Add("reference", o.reference);
  j.Add("sensed", o.sensed);
  j.Add("output", o.output);
  j.Add("status", o.status);
  j.Add("model", o.model);
  CPLJSONArray p;
  for (double v : o.parameters) p.Add(v);
  j.Add("parameters", p);
  j.Add("rmse_check_px", o.rmseCheckPx);
  j.Add("seconds", o.seconds);
  j.Add("message", o.message);
  return j;
}

}  // namespace

PairOutcome notRun(const BatchPair& pair, int index) {
  PairOutcome o;
  o.index = index, o.reference = pair.reference, o.sensed = pair.sensed, o.output = pair.output;
  o.status = "cancelled";
  o.message = "not run: the batch was interrupted";
  return o;
}

PairOutcome runPair(const BatchPair& pair, const std::vector<std::string>& common, int index, int rank,
                    const mmreg::ProgressFn& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  PairOutcome o = notRun(pair, index);
  o.rank = rank, o.message.clear();
  std::vector<std::string> args = common;
  args.insert(args.end(), pair.options.begin(), pair.options.end());
  for (const auto* f : {&pair.reference, &pair.sensed, &pair.output}) args.push_back(*f);
  std::string usage;
  try {
    const auto options = MmregAppOptionsNew(args, &usage);
    if (!options) throw mmreg::Error("usage: " + usage);
    const auto r = mmreg::coregister(options->job, progress);
    fill(o, r);
    o.status = mmreg::verdictName(r.verdict.level);
  } catch (const mmreg::Refused& e) {
    fill(o, *e.result);
    o.status = "refused";
    o.message = e.what();
  } catch (const mmreg::Cancelled&) {
    o.status = "cancelled";
    o.message = "interrupted; no output was written";
  } catch (const std::exception& e) {
    o.status = "error";
    o.message = e.what();
  }
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return o;
}

std::string outcomesJson(const std::vector<PairOutcome>& outcomes) {
  CPLJSONArray a;
  for (const auto& o : outcomes) a.Add(toJson(o));
  return a.Format(CPLJSONObject::PrettyFormat::Plain);
}

std::vector<PairOutcome> outcomesFromJson(const std::string& json) {
  CPLJSONDocument doc;
  std::vector<PairOutcome> out;
  if (!doc.LoadMemory("{\"a\":" + json + "}")) return out;
  const CPLJSONArray a = doc.GetRoot().GetArray("a");
  for (int i = 0; i < a.Size(); ++i) {
    const CPLJSONObject j = a[i];
    PairOutcome o;
    o.index = j.GetInteger("index"), o.rank = j.GetInteger("rank");
    o.reference = j.GetString("reference"), o.sensed = j.GetString("sensed"), o.output = j.GetString("output");
    o.status = j.GetString("status"), o.model = j.GetString("model"), o.message = j.GetString("message");
    const CPLJSONArray p = j.GetArray("parameters");
    for (int k = 0; k < p.Size(); ++k) o.parameters.push_back(p[k].ToDouble());
    o.rmseCheckPx = j.GetDouble("rmse_check_px"), o.seconds = j.GetDouble("seconds");
    out.push_back(o);
  }
  return out;
}

std::string summaryJson(const std::vector<PairOutcome>& outcomes, int ranks, double seconds) {
  CPLJSONDocument doc;
  CPLJSONObject root = doc.GetRoot();
  int verified = 0, refused = 0, errors = 0, cancelled = 0;
  for (const auto& o : outcomes)
    (o.status == "verified" ? verified : o.status == "error" ? errors : o.status == "cancelled" ? cancelled : refused) += 1;
  root.Add("pairs", static_cast<int>(outcomes.size()));
  root.Add("verified", verified);
  root.Add("refused_or_doubtful", refused);
  root.Add("errors", errors);
  root.Add("cancelled", cancelled);
  root.Add("ranks", ranks);
  root.Add("seconds", seconds);
  CPLJSONArray a;
  for (const auto& o : outcomes) a.Add(toJson(o));
  root.Add("results", a);
  return root.Format(CPLJSONObject::PrettyFormat::Pretty);
}

std::string summaryTable(const std::vector<PairOutcome>& outcomes) {
  std::ostringstream s;
  s << "| # | sensed | status | model | check RMSE (px) | seconds | rank | message |\n|---|---|---|---|---|---|---|---|\n";
  for (const auto& o : outcomes) {
    char rmse[32], secs[32];
    std::snprintf(rmse, sizeof rmse, o.rmseCheckPx >= 0 ? "%.3f" : "–", o.rmseCheckPx);
    std::snprintf(secs, sizeof secs, "%.1f", o.seconds);
    s << "| " << o.index + 1 << " | " << o.sensed << " | " << o.status << " | " << (o.model.empty() ? "–" : o.model) << " | " << rmse
      << " | " << secs << " | " << o.rank << " | " << o.message.substr(0, 160) << " |\n";
  }
  return s.str();
}
