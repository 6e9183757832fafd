// lorad command line — subcommands are wired here as their targets land.
import Foundation
FileHandle.standardError.write("lorad: not yet wired\n".data(using: .utf8)!)
exit(2)
