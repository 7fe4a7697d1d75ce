package dev.tessera.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code tessera} command. Each subcommand is its own class; this one only wires them and turns any
 * failure into one clear line on stderr and a non-zero exit (bad input must never end in a stack trace):
 * exit 2 for a bad command line (unknown option, invalid value), exit 1 when the command itself fails
 * (missing data, an unwritable folder, a checkpoint that does not fit). {@code -Dtessera.debug=true} adds
 * the stack trace.
 */
@Command(name = "tessera", mixinStandardHelpOptions = true, versionProvider = Tessera.Version.class,
        description = "Vision Transformers pre-trained with MAE and CAE, in Java.",
        subcommands = {InfoCommand.class, PretrainCommand.class, TokenizerCommand.class, ModelCommand.class,
                ReconstructCommand.class, DemoCommand.class, CompareCommand.class, BenchCommand.class, LinprobeCommand.class, KnnCommand.class,
                FinetuneCommand.class, TrainSupervisedCommand.class, AttnprobeCommand.class, AttentionCommand.class, ImportCommand.class,
                ExportCommand.class, FigureCommand.class,
                CommandLine.HelpCommand.class})
public final class Tessera {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line on the process's stdout and stderr and returns the exit code. */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs a command line printing to {@code out} and {@code err} (tests capture both) and returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Tessera());
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((e, parsedArgs) -> {
            CommandLine cmd = e.getCommandLine();
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage()
                    + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
            if (Boolean.getBoolean("tessera.debug")) e.printStackTrace(cmd.getErr());
            cmd.getErr().flush();
            return 2;
        });
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            String msg = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + msg);
            if (Boolean.getBoolean("tessera.debug")) e.printStackTrace(cmd.getErr());
            cmd.getErr().flush();
            return 1;
        });
        int code = cli.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** The version from the build (cli/src/main/resources/tessera.properties, filtered by Maven). */
    public static String version() {
        try (InputStream in = Tessera.class.getResourceAsStream("/tessera.properties")) {
            Properties p = new Properties();
            if (in != null) p.load(in);
            return p.getProperty("tessera.version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"tessera " + version() + " (Java " + Runtime.version() + ")"};
        }
    }
}
