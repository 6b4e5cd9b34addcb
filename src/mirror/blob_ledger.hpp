#pragma once
// What a many-images run has already put where, so that a blob shared by several images (a common
// base layer) is read from its source once: the first image to need it at a destination registry
// copies it, the others wait for that copy and mount it from there (distribution spec §"Mounting
// a blob from another repository"). And the run's one budget of transfers in flight, shared by
// all images copying at once.
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace ecrm::mirror {

class BlobLedger {
 public:
  struct Claim {
    bool owner = false;      // copy it, then call landed() or abandoned()
    std::string mount_from;  // else: a repository on that registry that holds it
  };
  // Waits while another image is copying the blob to `host`; cancel stops the wait (owner).
  Claim claim(const std::string& host, const std::string& digest, const std::atomic<bool>* cancel);
  void landed(const std::string& host, const std::string& digest, const std::string& repository);
  void abandoned(const std::string& host, const std::string& digest);

 private:
  struct State {
    bool in_flight = false;
    std::string repository;  // one that holds it
  };
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, State> blobs_;  // host + " " + digest
};

// A counting semaphore over the whole run's transfers.
class TransferBudget {
 public:
  explicit TransferBudget(int slots) : free_(slots) {}
  void acquire();
  void release();

 private:
  std::mutex mutex_;
  std::condition_variable freed_;
  int free_;
};

}  // namespace ecrm::mirror
