import FileReading
import Foundation
import Testing
import TestSupport

/// `RegularFile`: the one way lorad reads a file it is pointed at. Whatever
/// stands at the path, the call returns promptly: bytes of a regular file
/// within the limit, or an error naming the path and what is wrong.
@Suite struct RegularFileTests {
    static let small = FileSizeLimit(bytes: 64, kind: "a test file")

    /// `RegularFile.read` on its own thread; nil when it did not return
    /// within 10 s (the FIFO, if any, is then released so the thread ends).
    static func readPromptly(_ path: String, limit: FileSizeLimit = small,
                             releasing fifo: URL? = nil) -> Result<Data, FileReadError>? {
        let result = Deadline.finishing(within: 10) {
            Result { () throws(FileReadError) -> Data in try RegularFile.read(path, limit: limit) }
        }
        if result == nil, let fifo { SpecialFile.release(fifo: fifo) }
        return result
    }

    /// The refusal of `path`, failing the test when it returned bytes or hung.
    static func refusal(_ path: String, limit: FileSizeLimit = small, releasing fifo: URL? = nil,
                        sourceLocation: SourceLocation = #_sourceLocation) -> FileReadError? {
        switch readPromptly(path, limit: limit, releasing: fifo) {
        case nil:
            Issue.record("reading \(path) did not return within 10 s", sourceLocation: sourceLocation)
            return nil
        case .success(let data)?:
            Issue.record("\(path) was read (\(data.count) bytes) instead of refused", sourceLocation: sourceLocation)
            return nil
        case .failure(let error)?:
            return error
        }
    }

    @Test func aRegularFileIsReadWhole() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-read")
        let file = dir.appendingPathComponent("config.json")
        let bytes = Data((0..<64).map { UInt8($0) })
        try bytes.write(to: file)
        #expect(try RegularFile.read(file.path, limit: Self.small) == bytes)
        let empty = dir.appendingPathComponent("empty")
        try Data().write(to: empty)
        #expect(try RegularFile.read(empty.path, limit: Self.small) == Data())
    }

    @Test func aFIFOIsRefusedAtOnceEvenWithNoWriter() throws {
        let fifo = try Fixtures.temporaryDirectory("lorad-read").appendingPathComponent("model.safetensors")
        try SpecialFile.fifo(at: fifo)
        let error = Self.refusal(fifo.path, releasing: fifo)
        #expect(error == .notRegularFile(path: fifo.path, type: .fifo))
        #expect(error?.description == "\(fifo.path): is a FIFO (named pipe), not a regular file")
    }

    @Test(arguments: ["/dev/zero", "/dev/urandom", "/dev/null"])
    func aCharacterDeviceIsRefusedBeforeAByteIsRead(_ device: String) {
        #expect(Self.refusal(device) == .notRegularFile(path: device, type: .characterDevice))
    }

    @Test func aSymlinkIsFollowedAndWhatItNamesChecked() throws {
        let link = try Fixtures.temporaryDirectory("lorad-read").appendingPathComponent("tokenizer.json")
        try SpecialFile.link(at: link, to: "/dev/zero")
        #expect(Self.refusal(link.path) == .notRegularFile(path: link.path, type: .characterDevice))
    }

    @Test func aDirectoryIsRefusedAsADirectory() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-read")
        let error = Self.refusal(dir.path)
        #expect(error == .notRegularFile(path: dir.path, type: .directory))
        #expect(error?.description == "\(dir.path): is a directory, not a regular file")
    }

    @Test func aSocketIsRefusedAsASocket() throws {
        // sun_path holds 108 bytes: the scratch folder's long name may not fit.
        let dir = URL(fileURLWithPath: "/tmp/lorad-sock-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let socket = dir.appendingPathComponent("config.json")
        try SpecialFile.socket(at: socket)
        #expect(Self.refusal(socket.path) == .notRegularFile(path: socket.path, type: .socket))
    }

    @Test func aMissingFileAndADanglingSymlinkAreMissing() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-read")
        let missing = dir.appendingPathComponent("absent.json").path
        #expect(Self.refusal(missing) == .missing(path: missing))
        #expect(FileReadError.missing(path: missing).description == "\(missing): no such file")
        let dangling = dir.appendingPathComponent("dangling.json")
        try SpecialFile.link(at: dangling, to: dir.appendingPathComponent("nowhere").path)
        #expect(Self.refusal(dangling.path) == .missing(path: dangling.path))
    }

    @Test func aPathThroughAFileGivesTheSystemsReason() throws {
        let file = try Fixtures.temporaryDirectory("lorad-read").appendingPathComponent("model")
        try Data("x".utf8).write(to: file)
        let path = file.path + "/config.json"
        #expect(Self.refusal(path) == .cannotOpen(path: path, reason: String(cString: strerror(ENOTDIR))))
    }

    @Test func aFileLargerThanTheLimitIsRefusedByItsSizeBeforeItIsRead() throws {
        let file = try Fixtures.temporaryDirectory("lorad-read").appendingPathComponent("tokenizer.json")
        // Sparse: 8 GiB that would take seconds and all memory to read.
        #expect(FileManager.default.createFile(atPath: file.path, contents: nil))
        #expect(truncate(file.path, 8 << 30) == 0)
        let error = Self.refusal(file.path, limit: .modelFile)
        #expect(error == .tooLarge(path: file.path, size: 8 << 30, limit: .modelFile))
        #expect(error?.description == "\(file.path): is \(8 << 30) bytes, larger than the \(64 << 20) bytes allowed for "
            + "a model folder's configuration or tokenizer file")
        // One byte over is over; exactly the limit is not.
        let edge = file.deletingLastPathComponent().appendingPathComponent("edge")
        try Data(count: 65).write(to: edge)
        #expect(Self.refusal(edge.path) == .tooLarge(path: edge.path, size: 65, limit: Self.small))
        try Data(count: 64).write(to: edge)
        #expect(try RegularFile.read(edge.path, limit: Self.small).count == 64)
    }

    @Test func aFileWithoutAKnownSizeIsReadUpToTheLimitAndNoFurther() throws {
        // /proc files report st_size 0 and are regular: the bound holds while reading.
        let status = try RegularFile.read("/proc/self/status", limit: .modelFile)
        #expect(String(decoding: status, as: UTF8.self).hasPrefix("Name:"))
        #expect(Self.refusal("/proc/self/status") == .tooLarge(path: "/proc/self/status", size: nil, limit: Self.small))
    }

    @Test func readIfPresentIsNilOnlyWhenNothingIsThere() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-read")
        #expect(try RegularFile.readIfPresent(dir.appendingPathComponent("absent").path, limit: Self.small) == nil)
        let fifo = dir.appendingPathComponent("generation_config.json")
        try SpecialFile.fifo(at: fifo)
        let result = Deadline.finishing(within: 10) {
            Result { () throws(FileReadError) -> Data? in try RegularFile.readIfPresent(fifo.path, limit: Self.small) }
        }
        if result == nil { SpecialFile.release(fifo: fifo) }
        #expect(result == .failure(.notRegularFile(path: fifo.path, type: .fifo)))
    }

    @Test func readTextRefusesBytesThatAreNotUTF8() throws {
        let file = try Fixtures.temporaryDirectory("lorad-read").appendingPathComponent("chat_template.jinja")
        try Data([0x7b, 0x7b, 0xff, 0x7d, 0x7d]).write(to: file)
        #expect(throws: FileReadError.notUTF8(path: file.path)) { try RegularFile.readText(file.path, limit: Self.small) }
        try Data("{{ x }}".utf8).write(to: file)
        #expect(try RegularFile.readText(file.path, limit: Self.small) == "{{ x }}")
    }

    @Test func theDescriptorIsOpenOnlyWhileTheValueLives() throws {
        let file = try Fixtures.temporaryDirectory("lorad-read").appendingPathComponent("weights")
        try Data(count: 16).write(to: file)
        var descriptor: Int32 = -1
        do {
            let opened = try RegularFile(opening: file.path)
            descriptor = opened.descriptor
            #expect(fcntl(descriptor, F_GETFD) & FD_CLOEXEC != 0)
            #expect(opened.size == 16)
        }
        // Closed: fcntl on it fails (EBADF) unless another test reused the number meanwhile.
        let link = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(descriptor)")) ?? ""
        #expect(link != file.path)
    }

    @Test func refuseUnlessRegularAcceptsNothingOrARegularFileOnly() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-read")
        let registry = dir.appendingPathComponent("registry.sqlite")
        try RegularFile.refuseUnlessRegular(registry.path)
        try Data().write(to: registry)
        try RegularFile.refuseUnlessRegular(registry.path)
        let fifo = dir.appendingPathComponent("fifo.sqlite")
        try SpecialFile.fifo(at: fifo)
        #expect(throws: FileReadError.notRegularFile(path: fifo.path, type: .fifo)) { try RegularFile.refuseUnlessRegular(fifo.path) }
        #expect(throws: FileReadError.notRegularFile(path: dir.path, type: .directory)) { try RegularFile.refuseUnlessRegular(dir.path) }
    }
}
