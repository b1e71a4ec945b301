import Glibc
import PeerCommandLine

exit(CommandLineTool.main(Array(CommandLine.arguments.dropFirst())))
