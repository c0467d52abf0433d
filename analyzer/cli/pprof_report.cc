// The pprof report; see pprof_report.h.
#include "pprof_report.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <tuple>
#include <unordered_map>

#include "byte_escape.h"
#include "profile.pb.h"
#include "snapshot_reader.h"

namespace clwleak::cli {
namespace {

namespace pprof = perftools::profiles;

int64_t Round(double value) { return std::isfinite(value) ? std::llround(value) : 0; }

// Interns strings, functions, mappings and locations into one pprof Profile. Ids start at 1
// (0 means "none" in profile.proto); string 0 is "".
class ProfileBuilder {
 public:
  ProfileBuilder() { String(""); }

  // Host bytes are escaped (EscapeBytes): profile.proto's strings are proto3 `string`, which
  // protobuf parsers reject when it is not UTF-8.
  int64_t String(const std::string& bytes) {
    std::string text = EscapeBytes(bytes);
    auto [it, inserted] = strings_.emplace(text, profile_.string_table_size());
    if (inserted) profile_.add_string_table(std::move(text));
    return it->second;
  }

  uint64_t Function(const std::string& name, const std::string& file) {
    auto [it, inserted] = functions_.emplace(std::make_pair(name, file), 0);
    if (inserted) {
      pprof::Function* function = profile_.add_function();
      it->second = profile_.function_size();
      function->set_id(it->second);
      function->set_name(String(name));
      function->set_system_name(String(name));
      function->set_filename(String(file));
    }
    return it->second;
  }

  uint64_t Mapping(const proto::Module& module) {
    pprof::Mapping* mapping = profile_.add_mapping();
    mapping->set_id(profile_.mapping_size());
    // The executable segment when the file records it (its file offset lets pprof and
    // symbolizers find the code in the binary); else the whole module from its load address.
    if (module.text_size() > 0) {
      mapping->set_memory_start(module.text_address());
      mapping->set_memory_limit(module.text_address() + module.text_size());
      mapping->set_file_offset(module.text_file_offset());
    } else {
      mapping->set_memory_start(module.load_address());
      mapping->set_memory_limit(module.load_address() + module.size());
    }
    mapping->set_filename(String(module.path()));
    mapping->set_build_id(String(module.build_id()));
    mapping->set_has_functions(true);
    mapping->set_has_filenames(true);
    mapping->set_has_line_numbers(true);
    return mapping->id();
  }

  // `module` may be null (unknown module, mapping id 0).
  uint64_t Location(const proto::Frame& frame, const proto::Module* module, uint64_t mapping_id) {
    pprof::Location* location = profile_.add_location();
    location->set_id(profile_.location_size());
    location->set_mapping_id(mapping_id);
    // Inside its mapping by construction: the load address plus the offset in the module (what
    // the preload recorded as the address, unless the module was mapped again since).
    location->set_address(module != nullptr ? module->load_address() + frame.module_offset()
                                            : frame.address());
    // Inlined functions first, innermost first: pprof reads the last line as the caller the
    // others were inlined into.
    const int inlined = std::min({frame.inlined_function_size(), frame.inlined_file_size(),
                                  frame.inlined_line_size()});
    for (int i = 0; i < inlined && !frame.function().empty(); ++i) {
      pprof::Line* line = location->add_line();
      line->set_function_id(Function(frame.inlined_function(i), frame.inlined_file(i)));
      line->set_line(frame.inlined_line(i));
    }
    if (!frame.function().empty()) {
      pprof::Line* line = location->add_line();
      line->set_function_id(Function(frame.function(), frame.file()));
      line->set_line(frame.line());
    }
    return location->id();
  }

  pprof::Profile& profile() { return profile_; }

 private:
  pprof::Profile profile_;
  std::unordered_map<std::string, int64_t> strings_;
  std::map<std::pair<std::string, std::string>, uint64_t> functions_;
};

// Adds one file's stacks: its mappings and locations (ids local to this file) and one sample per
// stack of the report.
// A stack's live bytes at the snapshot with the most memory in use (0 when it held none then).
double PeakLiveBytes(const analysis::HeldMemoryReport& held, uint32_t stack_id) {
  const auto& stacks = held.peak_live_bytes_by_stack;
  auto it = std::lower_bound(stacks.begin(), stacks.end(), std::make_pair(stack_id, 0.0),
                             [](const auto& a, const auto& b) { return a.first < b.first; });
  return it != stacks.end() && it->first == stack_id ? it->second : 0.0;
}

bool AddFile(const analysis::FileReport& file, bool label_file, ProfileBuilder* builder,
             std::string* error) {
  std::unique_ptr<analysis::SnapshotReader> reader = analysis::SnapshotReader::Open(file.path, error);
  if (reader == nullptr) return false;
  while (reader->Next() == analysis::ReadStatus::kSnapshot) {
  }
  // A bad tail was already judged by the analysis (a truncated file is fine; an error exits 2
  // before any report is written), so whatever whole snapshots were read are used here.
  const analysis::ProfileState& state = reader->state();

  // The main executable's mapping first, as pprof expects (the module named like the header's
  // exe, by path or else by basename); then by module id.
  std::vector<const proto::Module*> modules;
  for (const auto& [id, module] : state.modules) modules.push_back(&module);
  const std::string& exe = reader->header().exe();
  auto basename = [](const std::string& path) { return path.substr(path.rfind('/') + 1); };
  auto rank = [&](const proto::Module* module) {
    return module->path() == exe ? 0 : basename(module->path()) == basename(exe) ? 1 : 2;
  };
  std::sort(modules.begin(), modules.end(), [&](const proto::Module* a, const proto::Module* b) {
    return std::make_tuple(rank(a), a->id()) < std::make_tuple(rank(b), b->id());
  });
  std::unordered_map<uint32_t, uint64_t> mapping_of_module;
  for (const proto::Module* module : modules) {
    mapping_of_module[module->id()] = builder->Mapping(*module);
  }

  std::unordered_map<uint32_t, uint64_t> location_of_frame;
  const int64_t classification_key = builder->String("classification");
  const int64_t module_key = builder->String("module");
  const int64_t file_key = builder->String("file");
  // The process on every sample (a profile of several files keeps them apart), and a numeric
  // `bytes` label: the mean size of the site's live blocks (else of all it allocated).
  const int64_t pid_key = builder->String("pid");
  const int64_t exe_key = builder->String("exe");
  const int64_t host_key = builder->String("host");
  const int64_t bytes_key = builder->String("bytes");
  const int64_t bytes_unit = builder->String("bytes");
  const int64_t pid_value = builder->String(std::to_string(file.pid));
  const int64_t exe_value = builder->String(file.exe);
  const int64_t host_value = builder->String(file.host);
  for (const analysis::SiteReport& site : file.sites) {
    pprof::Sample* sample = builder->profile().add_sample();
    for (const proto::Frame* frame : state.FramesOf(site.stack_id)) {
      auto [it, inserted] = location_of_frame.emplace(frame->id(), 0);
      if (inserted) {
        const proto::Module* module = state.ModuleOf(*frame);
        auto mapping = mapping_of_module.find(frame->module_id());
        const bool mapped = module != nullptr && mapping != mapping_of_module.end();
        it->second = builder->Location(*frame, mapped ? module : nullptr,
                                       mapped ? mapping->second : 0);
      }
      sample->add_location_id(it->second);  // innermost first, as pprof wants
    }
    double leaked = 0;
    if (site.classification == analysis::Classification::kLeak) {
      if (site.per_n_requests) {
        leaked = site.per_n_requests->value;
      } else if (site.per_hour) {
        leaked = site.per_hour->value;
      }
    }
    proto::StackStats counters;
    if (auto it = state.counters.find(site.stack_id); it != state.counters.end()) {
      counters = it->second;
    }
    sample->add_value(Round(leaked));
    sample->add_value(Round(site.live_bytes));
    sample->add_value(Round(site.live_count));
    sample->add_value(static_cast<int64_t>(counters.allocated_bytes()));
    sample->add_value(static_cast<int64_t>(counters.allocated_count()));
    sample->add_value(Round(PeakLiveBytes(file.held, site.stack_id)));
    pprof::Label* label = sample->add_label();
    label->set_key(classification_key);
    label->set_str(builder->String(analysis::ClassificationName(site.classification)));
    label = sample->add_label();
    label->set_key(module_key);
    label->set_str(builder->String(site.module));
    if (label_file) {
      label = sample->add_label();
      label->set_key(file_key);
      label->set_str(builder->String(file.path));
    }
    for (const auto& [key, value] : {std::pair{pid_key, pid_value}, std::pair{exe_key, exe_value},
                                     std::pair{host_key, host_value}}) {
      label = sample->add_label();
      label->set_key(key);
      label->set_str(value);
    }
    const double blocks = site.live_count > 0 ? site.live_count
                                              : static_cast<double>(counters.allocated_count());
    const double bytes = site.live_count > 0 ? site.live_bytes
                                             : static_cast<double>(counters.allocated_bytes());
    if (blocks > 0) {
      label = sample->add_label();
      label->set_key(bytes_key);
      label->set_num(Round(bytes / blocks));
      label->set_num_unit(bytes_unit);
    }
  }
  if (builder->profile().time_nanos() == 0) {
    builder->profile().set_time_nanos(static_cast<int64_t>(reader->header().start_time_unix_ns()));
  }
  return true;
}

}  // namespace

bool BuildPprofProfile(const std::vector<analysis::FileReport>& files, std::string* serialized,
                       std::string* error) {
  ProfileBuilder builder;
  pprof::Profile& profile = builder.profile();
  const bool per_requests =
      std::all_of(files.begin(), files.end(), [](const analysis::FileReport& file) {
        return file.window_requests > 0;
      });
  const uint64_t per = files.empty() ? 1000 : files.front().per_requests;
  for (const auto& [type, unit] : std::vector<std::pair<const char*, const char*>>{
           {"leaked_space", "bytes"},
           {"inuse_space", "bytes"},
           {"inuse_objects", "count"},
           {"alloc_space", "bytes"},
           {"alloc_objects", "count"},
           {"peak_inuse_space", "bytes"}}) {
    pprof::ValueType* value_type = profile.add_sample_type();
    value_type->set_type(builder.String(type));
    value_type->set_unit(builder.String(unit));
  }
  profile.set_default_sample_type(builder.String("leaked_space"));
  profile.mutable_period_type()->set_type(builder.String("space"));
  profile.mutable_period_type()->set_unit(builder.String("bytes"));
  double duration_s = 0;
  uint64_t sample_rate = 0;
  for (const analysis::FileReport& file : files) {
    duration_s = std::max(duration_s, file.duration_s);
    sample_rate = std::max(sample_rate, file.sample_rate_bytes);
  }
  profile.set_period(static_cast<int64_t>(sample_rate));
  profile.set_duration_nanos(Round(duration_s * 1e9));
  profile.add_comment(builder.String(
      per_requests ? "clwleak: leaked_space is bytes leaked per " + std::to_string(per) + " requests"
                   : "clwleak: leaked_space is bytes leaked per hour (no request counts in every file)"));
  for (const analysis::FileReport& file : files) {
    profile.add_comment(builder.String("clwleak file: " + file.path));
    if (!AddFile(file, files.size() > 1, &builder, error)) return false;
  }
  *serialized = profile.SerializeAsString();
  return true;
}

std::string Gzip(const std::string& data) {
  z_stream stream{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);  // the buffer holds deflateBound(): one call finishes the stream
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

}  // namespace clwleak::cli
