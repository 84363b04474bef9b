namespace MlpTools.Commands; internal static class Placeholder { }
