using System.Runtime.CompilerServices;

// The benchmark program (bench/MlpTools.Bench) times the kernels directly.
[assembly: InternalsVisibleTo("MlpTools.Bench")]
