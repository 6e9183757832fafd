import Testing
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestSupport
@testable import Systemd

@Suite struct SdNotifyTests {
    private func sendsTheLifecycleInOrder(abstract: Bool) throws {
        let receiver = try DatagramReceiver(abstract: abstract)
        let notify = SdNotify(environment: ["NOTIFY_SOCKET": receiver.address])
        #expect(try notify.target() == (abstract ? .abstract(String(receiver.address.dropFirst())) : .path(receiver.address)))
        try notify.ready(status: "serving tiny-llama")
        try notify.status("2 adapters resident\nsecond line")
        try notify.watchdog()
        try notify.stopping()
        #expect(receiver.receive() == "READY=1\nSTATUS=serving tiny-llama")
        #expect(receiver.receive() == "STATUS=2 adapters resident second line")
        #expect(receiver.receive() == "WATCHDOG=1")
        #expect(receiver.receive() == "STOPPING=1")
    }

    @Test func notificationsReachAPathSocketInOrder() throws {
        try sendsTheLifecycleInOrder(abstract: false)
    }

    @Test func notificationsReachAnAbstractSocketInOrder() throws {
        try sendsTheLifecycleInOrder(abstract: true)
    }

    @Test func reloadingCarriesTheMonotonicClock() throws {
        let receiver = try DatagramReceiver(abstract: true)
        let notify = SdNotify(socket: receiver.address)
        let before = SdNotify.monotonicMicroseconds()
        try notify.reloading()
        let after = SdNotify.monotonicMicroseconds()
        let message = try #require(receiver.receive())
        let lines = message.split(separator: "\n")
        #expect(lines.first == "RELOADING=1")
        let stamp = try #require(lines.dropFirst().first.flatMap { line -> UInt64? in
            guard line.hasPrefix("MONOTONIC_USEC=") else { return nil }
            return UInt64(line.dropFirst("MONOTONIC_USEC=".count))
        })
        // A second reading of CLOCK_MONOTONIC brackets the one sent.
        #expect(before <= stamp && stamp <= after)
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        #expect(stamp <= UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000)
    }

    @Test func withoutNotifySocketEveryCallIsANoOp() throws {
        let notify = SdNotify(environment: [:])
        #expect(!notify.isEnabled)
        try notify.ready()
        try notify.watchdog()
        try notify.stopping()
        try notify.reloading()
        #expect(!SdNotify(environment: ["NOTIFY_SOCKET": ""]).isEnabled)
    }

    @Test func badAddressesAreTypedErrors() {
        #expect(throws: SdNotifyError.unsupportedAddress("vsock:2:1234")) {
            try SdNotify(socket: "vsock:2:1234").ready()
        }
        let long = "/tmp/" + String(repeating: "x", count: 120)
        #expect(throws: SdNotifyError.addressTooLong(long, limit: 107)) { try SdNotify(socket: long).ready() }
        let missing = "/tmp/lorad-missing-\(UUID().uuidString).sock"
        #expect(throws: SdNotifyError.send(errno: ENOENT, address: missing)) { try SdNotify(socket: missing).ready() }
        #expect(SdNotifyError.send(errno: ENOENT, address: "/x").description.contains("No such file or directory"))
    }

    @Test func watchdogIntervalIsHalfOfWatchdogUsec() {
        let pid = getpid()
        #expect(Watchdog.interval(environment: ["WATCHDOG_USEC": "30000000"], pid: pid) == .seconds(15))
        #expect(Watchdog.interval(environment: ["WATCHDOG_USEC": "1000001", "WATCHDOG_PID": "\(pid)"], pid: pid)
                == .microseconds(500_000))
    }

    @Test func noWatchdogWhenUnsetInvalidOrMeantForAnotherProcess() {
        let pid = getpid()
        #expect(Watchdog.interval(environment: [:], pid: pid) == nil)
        #expect(Watchdog.interval(environment: ["WATCHDOG_USEC": "0"], pid: pid) == nil)
        #expect(Watchdog.interval(environment: ["WATCHDOG_USEC": "soon"], pid: pid) == nil)
        #expect(Watchdog.interval(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(pid + 1)"], pid: pid) == nil)
        #expect(Watchdog.interval(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "x"], pid: pid) == nil)
        #expect(Watchdog(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"]) == nil || getpid() == 1)
    }

    @Test func petSendsWatchdogAndIsRateLimited() throws {
        let receiver = try DatagramReceiver(abstract: false)
        let dog = try #require(Watchdog(environment: ["WATCHDOG_USEC": "120000000", "NOTIFY_SOCKET": receiver.address]))
        #expect(dog.interval == .seconds(60))
        #expect(dog.intervalSeconds == 60)
        #expect(try dog.pet())        // the first pet always pings
        #expect(try !dog.pet())       // 30 s have not passed since
        #expect(receiver.receive() == "WATCHDOG=1")

        let eager = Watchdog(interval: .zero, notifier: SdNotify(socket: receiver.address))
        #expect(try eager.pet())
        #expect(try eager.pet())
        #expect(receiver.receive() == "WATCHDOG=1")
        #expect(receiver.receive() == "WATCHDOG=1")
    }
}
