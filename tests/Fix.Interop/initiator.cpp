// A FIX 4.4 initiator built on QuickFIX C++ (Debian libquickfix-dev), driving the wallet's FIX gateway the way a
// partner would. Built and run by tests/Fix.Tests (InteropTests). Two phases, each a separate process so the
// sequence numbers must come back from QuickFIX's file store and the gateway's store:
//   initiator <port> <workdir> <dictionary> first   logon, create accounts, transfers (ok, insufficient funds,
//                                                   duplicate), a forced sequence gap answered by resend, balances, logout
//   initiator <port> <workdir> <dictionary> second  logon again without reset (persisted numbers), one more transfer,
//                                                   a status request, balances, logout
// Prints "OK <phase>" and exits 0 when every answer was as expected; prints "FAIL ..." and exits 1 otherwise,
// 2 on a timeout. Every wait is bounded.
#include <quickfix/Application.h>
#include <quickfix/FileStore.h>
#include <quickfix/FileLog.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketInitiator.h>
#include <quickfix/DataDictionary.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>

namespace {

const int kWaitSeconds = 20;

struct Inbox {
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<FIX::Message> app;
  bool loggedOn = false;
  bool loggedOut = false;
  int logonSeq = 0;
  bool logonHadReset = false;
};

class Partner : public FIX::Application {
 public:
  explicit Partner(Inbox& inbox) : inbox_(inbox) {}
  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID& id) override {
    std::lock_guard<std::mutex> lock(inbox_.mutex);
    session_ = id;
    inbox_.loggedOn = true;
    inbox_.changed.notify_all();
  }
  void onLogout(const FIX::SessionID&) override {
    std::lock_guard<std::mutex> lock(inbox_.mutex);
    inbox_.loggedOut = true;
    inbox_.changed.notify_all();
  }
  void toAdmin(FIX::Message& message, const FIX::SessionID&) override {
    if (message.getHeader().getField(FIX::FIELD::MsgType) == "A") {
      message.setField(553, "partner1");
      message.setField(554, "partner-secret");
    }
  }
  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message& message, const FIX::SessionID&)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override {
    if (message.getHeader().getField(FIX::FIELD::MsgType) == "A") {
      std::lock_guard<std::mutex> lock(inbox_.mutex);
      inbox_.logonSeq = std::atoi(message.getHeader().getField(FIX::FIELD::MsgSeqNum).c_str());
      inbox_.logonHadReset = message.isSetField(141) && message.getField(141) == "Y";
    }
  }
  void fromApp(const FIX::Message& message, const FIX::SessionID&)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::UnsupportedMessageType) override {
    std::lock_guard<std::mutex> lock(inbox_.mutex);
    inbox_.app.push_back(message);
    inbox_.changed.notify_all();
  }
  FIX::SessionID session() {
    std::lock_guard<std::mutex> lock(inbox_.mutex);
    return session_;
  }

 private:
  Inbox& inbox_;
  FIX::SessionID session_;
};

[[noreturn]] void Fail(const std::string& what) {
  std::cout << "FAIL " << what << std::endl;
  std::_Exit(1);
}

[[noreturn]] void Timeout(const std::string& what) {
  std::cout << "FAIL timeout waiting for " << what << std::endl;
  std::_Exit(2);
}

FIX::Message Next(Inbox& inbox, const std::string& what) {
  std::unique_lock<std::mutex> lock(inbox.mutex);
  if (!inbox.changed.wait_for(lock, std::chrono::seconds(kWaitSeconds), [&] { return !inbox.app.empty(); })) Timeout(what);
  FIX::Message m = inbox.app.front();
  inbox.app.pop_front();
  return m;
}

std::string Type(const FIX::Message& m) { return m.getHeader().getField(FIX::FIELD::MsgType); }

std::string Get(const FIX::Message& m, int tag) { return m.isSetField(tag) ? m.getField(tag) : std::string("<missing>"); }

void Expect(const std::string& what, const std::string& actual, const std::string& expected) {
  if (actual != expected) Fail(what + ": expected '" + expected + "' but got '" + actual + "'");
  std::cout << "ok " << what << " = " << actual << std::endl;
}

void Send(FIX::Message& m, const FIX::SessionID& id) {
  if (!FIX::Session::sendToTarget(m, id)) Fail("sendToTarget refused");
}

FIX::Message NewMessage(const char* type) {
  FIX::Message m;
  m.getHeader().setField(FIX::MsgType(type));
  return m;
}

void CreateAccount(Partner& app, Inbox& inbox, const std::string& id, int flags) {
  FIX::Message m = NewMessage("UA");
  m.setField(5020, id);
  m.setField(15, "USD");
  m.setField(5021, std::to_string(flags));
  Send(m, app.session());
  FIX::Message r = Next(inbox, "CreateAccountReport " + id);
  Expect("CreateAccountReport type", Type(r), "UB");
  Expect("account " + id + " outcome", Get(r, 5010), "0");
}

FIX::Message Transfer(Partner& app, Inbox& inbox, const std::string& id, const std::string& debit, const std::string& credit,
                      const std::string& amount) {
  FIX::Message m = NewMessage("UT");
  m.setField(5001, id);
  m.setField(5002, debit);
  m.setField(5003, credit);
  m.setField(5004, amount);
  m.setField(15, "USD");
  Send(m, app.session());
  FIX::Message r = Next(inbox, "TransferReport " + id);
  Expect("TransferReport type", Type(r), "UR");
  Expect("TransferReport id", Get(r, 5001), id);
  return r;
}

void Balance(Partner& app, Inbox& inbox, const std::string& account, const std::string& expected) {
  FIX::Message m = NewMessage("UQ");
  m.setField(5030, "bal-" + account);
  m.setField(5020, account);
  Send(m, app.session());
  FIX::Message r = Next(inbox, "BalanceReport " + account);
  Expect("BalanceReport type", Type(r), "UP");
  Expect("BalanceReport request id", Get(r, 5030), "bal-" + account);
  Expect("balance of " + account, Get(r, 5035), expected);
}

void WaitLogon(Inbox& inbox) {
  std::unique_lock<std::mutex> lock(inbox.mutex);
  if (!inbox.changed.wait_for(lock, std::chrono::seconds(kWaitSeconds), [&] { return inbox.loggedOn; })) Timeout("logon");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: initiator <port> <workdir> <dictionary> first|second" << std::endl;
    return 64;
  }
  const std::string port = argv[1], workdir = argv[2], dictionary = argv[3], phase = argv[4];
  try {
    FIX::DataDictionary check(dictionary);  // the shipped dictionary must load on its own
    std::stringstream config;
    config << "[DEFAULT]\nConnectionType=initiator\nReconnectInterval=1\nHeartBtInt=5\n"
           << "StartTime=00:00:00\nEndTime=00:00:00\n"
           << "FileStorePath=" << workdir << "/store\nFileLogPath=" << workdir << "/log\n"
           << "UseDataDictionary=Y\nDataDictionary=" << dictionary << "\n"
           << "ValidateFieldsOutOfOrder=N\n"
           << "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=PARTNER1\nTargetCompID=WALLET\n"
           << "SocketConnectHost=127.0.0.1\nSocketConnectPort=" << port << "\n";
    FIX::SessionSettings settings(config);
    Inbox inbox;
    Partner app(inbox);
    FIX::FileStoreFactory store(settings);
    FIX::FileLogFactory log(settings);
    FIX::SocketInitiator initiator(app, store, settings, log);
    initiator.start();
    WaitLogon(inbox);
    FIX::Session* session = FIX::Session::lookupSession(app.session());
    std::cout << "ok logged on, gateway's Logon had MsgSeqNum " << inbox.logonSeq << std::endl;

    if (phase == "first") {
      if (inbox.logonSeq != 1) Fail("first logon: expected the gateway's Logon to be MsgSeqNum 1");
      CreateAccount(app, inbox, "1", 0);     // bank: may go negative
      CreateAccount(app, inbox, "1001", 2);  // debits must not exceed credits
      CreateAccount(app, inbox, "1002", 2);
      Expect("funding", Get(Transfer(app, inbox, "7001", "1", "1001", "100.00"), 5010), "0");
      Expect("payment", Get(Transfer(app, inbox, "7002", "1001", "1002", "30.25"), 5010), "0");
      FIX::Message insufficient = Transfer(app, inbox, "7003", "1002", "1001", "1000.00");
      Expect("insufficient funds outcome", Get(insufficient, 5010), "241");
      Expect("insufficient funds text", Get(insufficient, 58), "ExceedsCredits");
      FIX::Message duplicate = Transfer(app, inbox, "7002", "1001", "1002", "30.25");
      Expect("duplicate outcome", Get(duplicate, 5010), "12");
      // Forced gap: skip three sequence numbers; the gateway must ask for them (ResendRequest), QuickFIX gap-fills
      // them and resends the transfer with PossDupFlag=Y, and the transfer is applied exactly once.
      session->setNextSenderMsgSeqNum(session->getExpectedSenderNum() + 3);
      Expect("transfer after gap", Get(Transfer(app, inbox, "7004", "1001", "1002", "1.00"), 5010), "0");
      Balance(app, inbox, "1001", "68.75");
      Balance(app, inbox, "1002", "31.25");
    } else {
      if (inbox.logonSeq <= 1 || inbox.logonHadReset) Fail("second logon: expected continued sequence numbers (no reset)");
      Expect("after reconnect", Get(Transfer(app, inbox, "7005", "1001", "1002", "0.75"), 5010), "0");
      FIX::Message status = NewMessage("US");
      status.setField(5030, "status-7002");
      status.setField(5001, "7002");
      Send(status, app.session());
      FIX::Message r = Next(inbox, "TransferReport for status");
      Expect("status found", Get(r, 5012), "1");
      Expect("status amount", Get(r, 5004), "30.25");
      Balance(app, inbox, "1001", "68.00");
      Balance(app, inbox, "1002", "32.00");
    }
    std::cout << "ok next sender " << session->getExpectedSenderNum() << " next target " << session->getExpectedTargetNum() << std::endl;
    initiator.stop();  // Logout, wait for the gateway's Logout
    std::cout << "OK " << phase << std::endl;
    return 0;
  } catch (std::exception& e) {
    Fail(std::string("exception: ") + e.what());
  }
}
