package dev.quiver.examples;

import dev.quiver.Quiver;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The command-line options every example shares: which backend to run on, the random seed, where plots go, and
 * whether the training tutorials run their eager loop or the same step compiled ({@code --compiled}).
 *
 * <pre>{@code
 * ExampleArgs args = ExampleArgs.parse("--backend", "cpu", "--seed", "7", "--no-plots", "--compiled");
 * String selection = args.selectBackend();   // calls Quiver.use("cpu"), returns Quiver.selection()
 * args.execution();                          // Execution.COMPILED
 * }</pre>
 *
 * @param backend       the backend name given with {@code --backend}, or {@code null} to leave the choice to Quiver
 *                      (system property {@code quiver.backend}, then {@code $QUIVER_BACKEND}, then {@code auto})
 * @param seed          the seed of every random draw the example makes, so a run can be repeated exactly
 * @param plotDirectory where PNG plots are written
 * @param plots         whether to write plots at all
 * @param execution     how the training tutorials run their steps: the eager loop they teach, or compiled
 */
public record ExampleArgs(String backend, long seed, Path plotDirectory, boolean plots, Execution execution) {
    /**
     * How a training tutorial runs its steps.
     *
     * <pre>{@code
     * ExampleArgs.parse("--compiled", "--no-fusion").execution();   // COMPILED_UNFUSED
     * }</pre>
     */
    public enum Execution {
        /** The eager loop the tutorial teaches: one op at a time, with a {@code GradientTape}. */
        EAGER("eager"),
        /** The same step through {@link dev.quiver.TrainingStep}: traced once, fused, replayed on the device. */
        COMPILED("compiled"),
        /** Compiled but not fused: the replay gives the eager loop's numbers bit for bit. */
        COMPILED_UNFUSED("compiled, unfused");

        private final String label;

        Execution(String label) {
            this.label = label;
        }

        /** Whether the steps run through a {@link dev.quiver.TrainingStep}. */
        public boolean compiled() {
            return this != EAGER;
        }

        /** Whether a compiled step may fuse its ops (the default of {@code TrainingStep.compile}). */
        public boolean fuse() {
            return this == COMPILED;
        }

        /** {@code eager}, {@code compiled} or {@code compiled, unfused}, as the examples print it. */
        public String label() {
            return label;
        }
    }

    /** The seed used when {@code --seed} is not given. */
    public static final long DEFAULT_SEED = 42;
    /**
     * The plot directory used when {@code --plots} is not given: {@code quiver-plots} in the working directory. A
     * name that says who made it, so that a folder found later in some project is recognisable and never mixed with
     * the project's own {@code plots/}; every plot written is printed with its absolute path.
     */
    public static final Path DEFAULT_PLOT_DIRECTORY = Path.of("quiver-plots");

    /** What {@code --help} and every parse error print. */
    public static final String OPTIONS_USAGE = """
            options:
              --backend NAME   a backend (quiver diagnose lists them) or auto; default: -Dquiver.backend, then
                               $QUIVER_BACKEND, then auto
              --seed N         seed of every random draw (default 42)
              --plots DIR      write PNG plots to DIR (default quiver-plots/ here; each plot's full path is printed)
              --no-plots       write no plots
              --compiled       linear-regression, polynomial-regression, equation-puzzle: train through a
                               compiled TrainingStep (traced once, replayed on the device) instead of the
                               eager loop; the same numbers within float rounding
              --no-fusion      with --compiled: replay without fusing ops, the eager loop's numbers exactly
              --help, -h       this command's help""";

    public ExampleArgs {
        Objects.requireNonNull(plotDirectory, "plotDirectory");
        Objects.requireNonNull(execution, "execution");
    }

    /** The options of an eager run. */
    public ExampleArgs(String backend, long seed, Path plotDirectory, boolean plots) {
        this(backend, seed, plotDirectory, plots, Execution.EAGER);
    }

    /** The defaults: Quiver's own backend selection, seed 42, plots in {@code quiver-plots/}, eager. */
    public static ExampleArgs defaults() {
        return new ExampleArgs(null, DEFAULT_SEED, DEFAULT_PLOT_DIRECTORY, true);
    }

    /**
     * Parses {@code --backend NAME}, {@code --seed N}, {@code --plots DIR}, {@code --no-plots}, {@code --compiled}
     * and {@code --no-fusion} (which needs {@code --compiled}); options with a value also accept the
     * {@code --option=value} form.
     *
     * @throws IllegalArgumentException for an unknown option or a missing or malformed value, with the usage text
     */
    public static ExampleArgs parse(String... args) {
        String backend = null;
        long seed = DEFAULT_SEED;
        Path plotDirectory = DEFAULT_PLOT_DIRECTORY;
        boolean plots = true;
        boolean compiled = false;
        boolean noFusion = false;
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            String inlineValue = null;
            int equals = option.indexOf('=');
            if (option.startsWith("--") && equals > 0) {
                inlineValue = option.substring(equals + 1);
                option = option.substring(0, equals);
            }
            switch (option) {
                case "--backend" -> {
                    backend = inlineValue != null ? inlineValue : value(args, ++i, option);
                }
                case "--seed" -> {
                    String text = inlineValue != null ? inlineValue : value(args, ++i, option);
                    try {
                        seed = Long.parseLong(text);
                    } catch (NumberFormatException notANumber) {
                        throw new IllegalArgumentException("--seed needs an integer, got '" + text + "'\n"
                                + OPTIONS_USAGE);
                    }
                }
                case "--plots" -> {
                    plotDirectory = Path.of(inlineValue != null ? inlineValue : value(args, ++i, option));
                    plots = true;
                }
                case "--no-plots" -> plots = !flag(option, inlineValue);
                case "--compiled" -> compiled = flag(option, inlineValue);
                case "--no-fusion" -> noFusion = flag(option, inlineValue);
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'\n" + OPTIONS_USAGE);
            }
        }
        if (noFusion && !compiled) {
            throw new IllegalArgumentException("--no-fusion only applies to --compiled (an eager loop fuses nothing)\n"
                    + OPTIONS_USAGE);
        }
        Execution execution = !compiled ? Execution.EAGER : noFusion ? Execution.COMPILED_UNFUSED : Execution.COMPILED;
        return new ExampleArgs(backend, seed, plotDirectory, plots, execution);
    }

    /** A switch is given bare: {@code --compiled=no} would otherwise quietly mean yes. */
    private static boolean flag(String option, String inlineValue) {
        if (inlineValue != null) {
            throw new IllegalArgumentException(option + " takes no value, got '" + option + "=" + inlineValue + "'\n"
                    + OPTIONS_USAGE);
        }
        return true;
    }

    private static String value(String[] args, int index, String option) {
        if (index >= args.length || args[index].startsWith("--")) {
            throw new IllegalArgumentException(option + " needs a value\n" + OPTIONS_USAGE);
        }
        return args[index];
    }

    /** The same options with another seed (tests run one example under several seeds). */
    public ExampleArgs withSeed(long newSeed) {
        return new ExampleArgs(backend, newSeed, plotDirectory, plots, execution);
    }

    /** The same options on another backend ({@code cpu}, {@code opencl}, ...). */
    public ExampleArgs withBackend(String name) {
        return new ExampleArgs(name, seed, plotDirectory, plots, execution);
    }

    /** The same options without plots. */
    public ExampleArgs withoutPlots() {
        return new ExampleArgs(backend, seed, plotDirectory, false, execution);
    }

    /** The same options writing plots to {@code directory}. */
    public ExampleArgs withPlots(Path directory) {
        return new ExampleArgs(backend, seed, directory, true, execution);
    }

    /** The same options running the training steps as {@code execution} says. */
    public ExampleArgs withExecution(Execution newExecution) {
        return new ExampleArgs(backend, seed, plotDirectory, plots, newExecution);
    }

    /**
     * Switches Quiver to {@code --backend} when one was given (otherwise Quiver chooses as usual) and says how
     * the backend was chosen. A backend that cannot run here is an error with its reason: never a silent fallback.
     */
    public String selectBackend() {
        if (backend != null) {
            Quiver.use(backend);
        }
        return Quiver.selection();
    }
}
