import Foundation
import Testing
import TestSupport
@testable import Daemon

/// The files `ModelChatTemplates.load` reads (tokenizer_config.json,
/// special_tokens_map.json, chat_template.jinja, `chat_template = FILE`),
/// each replaced by something that is not a regular file or is too large:
/// refused at once, naming the file and what it is. (In-process: at `serve`
/// level F2 in hunt-model.md can abort the process after such a refusal.)
@Suite struct ModelChatTemplatesFileTests {
    /// A model folder with a plain tokenizer_config.json.
    static func folder() throws -> URL {
        let dir = try Fixtures.temporaryDirectory("chat-template-files")
        try Data(#"{"eos_token": "</s>", "chat_template": "{{ 1 }}"}"#.utf8).write(to: dir.appendingPathComponent("tokenizer_config.json"))
        return dir
    }

    /// What loading the templates throws, as text (see `Deadline.refusal`).
    static func refusal(_ folder: URL, configured: String? = nil, fifo: URL? = nil) -> String {
        Deadline.refusal(releasing: fifo) { _ = try ModelChatTemplates.load(folder: folder, configuredFile: configured) }
    }

    @Test(arguments: ["tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja", "configured.jinja"])
    func aFIFOADeviceOrAFolderInPlaceOfATemplateFileIsRefusedNamingIt(_ file: String) throws {
        let dir = try Self.folder()
        let url = dir.appendingPathComponent(file)
        let configured = file == "configured.jinja" ? url.path : nil
        try SpecialFile.fifo(at: url)
        let fifo = Self.refusal(dir, configured: configured, fifo: url)
        #expect(fifo == "chat template from \(url.path): is a FIFO (named pipe), not a regular file")
        try SpecialFile.link(at: url, to: "/dev/zero")
        #expect(Self.refusal(dir, configured: configured) == "chat template from \(url.path): is a character device, not a regular file")
        try FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        #expect(Self.refusal(dir, configured: configured) == "chat template from \(url.path): is a directory, not a regular file")
    }

    @Test func aTemplateFileLargerThanAnUploadedTemplateMayBeIsRefusedUnread() throws {
        let dir = try Self.folder()
        let jinja = dir.appendingPathComponent("chat_template.jinja")
        #expect(FileManager.default.createFile(atPath: jinja.path, contents: nil))
        #expect(truncate(jinja.path, off_t(AdapterUploadHandler.maxChatTemplateBytes + 1)) == 0)
        #expect(Self.refusal(dir) == "chat template from \(jinja.path): is \(AdapterUploadHandler.maxChatTemplateBytes + 1) bytes, "
            + "larger than the \(AdapterUploadHandler.maxChatTemplateBytes) bytes allowed for a chat template")
    }
}
