#include "mirror/blob_ledger.hpp"

#include <chrono>

namespace ecrm::mirror {

BlobLedger::Claim BlobLedger::claim(const std::string& host, const std::string& digest,
                                    const std::atomic<bool>* cancel) {
  std::unique_lock lock(mutex_);
  auto& state = blobs_[host + " " + digest];
  // Another image's worker holds it in flight; it finishes on its own (no lock is held across a
  // transfer), so the wait ends. The timeout only re-checks cancellation.
  while (state.in_flight && state.repository.empty()) {
    if (cancel && cancel->load()) return {true, {}};
    changed_.wait_for(lock, std::chrono::milliseconds(200));
  }
  if (!state.repository.empty()) return {false, state.repository};
  state.in_flight = true;
  return {true, {}};
}

void BlobLedger::landed(const std::string& host, const std::string& digest,
                        const std::string& repository) {
  {
    std::lock_guard lock(mutex_);
    auto& state = blobs_[host + " " + digest];
    state.in_flight = false;
    if (state.repository.empty()) state.repository = repository;
  }
  changed_.notify_all();
}

void BlobLedger::abandoned(const std::string& host, const std::string& digest) {
  {
    std::lock_guard lock(mutex_);
    blobs_[host + " " + digest].in_flight = false;
  }
  changed_.notify_all();
}

void TransferBudget::acquire() {
  std::unique_lock lock(mutex_);
  freed_.wait(lock, [&] { return free_ > 0; });
  --free_;
}

void TransferBudget::release() {
  {
    std::lock_guard lock(mutex_);
    ++free_;
  }
  freed_.notify_one();
}

}  // namespace ecrm::mirror
