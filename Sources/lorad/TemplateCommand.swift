import ChatTemplating
import CLI
import FileReading
import Foundation
import OrderedJSON

/// `lorad template render`: renders a chat template with one conversation,
/// exactly as transformers' `apply_chat_template(tokenize=False)` would, so
/// a template (or an adapter's own) can be checked before it is served.
enum TemplateCommand {
    static let usage = """
    usage: lorad template render --template FILE.jinja --context CASE.json [--now YYYY-MM-DD]
      --template FILE   the Jinja chat template
      --context FILE    one conversation, as an entry of a golden corpus's `cases`: `messages`,
                        `tools`, `documents`, `add_generation_prompt`, `bos_token`/`eos_token`/
                        `pad_token`/`unk_token` (null = unset) and `kwargs` (extra variables)
      --now DATE        the day strftime_now() sees, 0001-01-01 to 9999-12-31 (default: now, local time)
      Prints the rendering byte-exact (nothing added). A template error exits 1; when the
      template called raise_exception(msg), the last line on stderr is exactly msg.
    """

    static func run(_ args: [String]) throws {
        guard args.first == "render" else {
            throw UsageError.unknownCommand("template " + (args.first ?? ""))
        }
        let a = try Arguments(args.dropFirst(), valued: ["template", "context", "now"])
        guard a.positional.isEmpty else { throw UsageError.unknownCommand("template render \(a.positional[0])") }
        guard let templatePath = a.value("template") else { throw UsageError.missing("--template FILE") }
        guard let contextPath = a.value("context") else { throw UsageError.missing("--context FILE") }
        let date = try a.value("now").map(day) ?? TemplateDate(Date())

        let source = try RegularFile.readText(templatePath, limit: .chatTemplate)
        let contextBytes = try RegularFile.read(contextPath, limit: .templateContext)
        let input: ChatTemplateInput
        do {
            input = try ChatTemplateInput(caseJSON: try JSONValue.parse(contextBytes))
        } catch {
            throw TemplateCommandError.badContext(path: contextPath, reason: "\(error)")
        }
        do {
            let output = try ChatTemplate(source: source).render(input, date: date)
            FileHandleOutput.stdout(output)
        } catch {
            throw TemplateCommandError.template(path: templatePath, error: error)
        }
    }

    /// `YYYY-MM-DD` → midnight of that day; a day Python's `datetime` can
    /// hold (years 1–9999: `datetime.date(0, 6, 1)` is "year 0 is out of range").
    private static func day(_ text: String) throws -> TemplateDate {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 3, let y = parts[0], let m = parts[1], let d = parts[2],
              case let date = TemplateDate(year: y, month: m, day: d), date.isValid else {
            throw UsageError.badValue(option: "now", value: text,
                                      expected: "a date YYYY-MM-DD from 0001-01-01 to 9999-12-31 (Python's datetime range)")
        }
        return date
    }
}

/// Why `lorad template render` failed.
enum TemplateCommandError: Error, CustomStringConvertible {
    case badContext(path: String, reason: String)
    case template(path: String, error: TemplateError)

    var description: String {
        switch self {
        case let .badContext(path, reason): return "\(path): \(reason)"
        case let .template(path, error):
            if error.kind == .raised {
                // The message alone on the last line: callers compare it verbatim.
                return "\(path): the template raised an exception:\n\(error.message)"
            }
            let position = error.line.map { ":\($0)" + (error.column.map { ":\($0)" } ?? "") } ?? ""
            return "\(path)\(position): \(error.kind.name): \(error.message)"
        }
    }
}
