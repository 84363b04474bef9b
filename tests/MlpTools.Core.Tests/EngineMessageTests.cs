using System.Text;
using System.Text.RegularExpressions;
using MathNet.Numerics.LinearAlgebra;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Persistence;
using MlpTools.Core.Tests.Data;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests;

/// <summary>
/// The engine speaks in its own terms: a .NET caller has no cmdlets, so no message, warning or stop reason of
/// MlpTools.Core names one ("Export-Mlp") or a cmdlet parameter ("-Force"). The cmdlets add their own hint by error id.
/// Checked two ways: a sample of the engine's error paths, driven, and every string literal of its source.
/// </summary>
public sealed partial class EngineMessageTests : IDisposable
{
    private readonly TempFolder _temp = new();

    /// <summary>A cmdlet name of this module (Verb-Mlp..., Verb-Dataset, Verb-Training) or a -Parameter (but not -Infinity).</summary>
    [GeneratedRegex(@"\b[A-Z][a-z]+(To)?-(Mlp|Dataset|Training)\w*|(^|[\s(\[{,;:'])-(?!Infinity\b)[A-Z][a-z]+")]
    internal static partial Regex CmdletWording();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string> ErrorPaths => new()
    {
        "ModelFileExists", "ModelNotFound (missing)", "ModelNotFound (folder)", "DatasetFileExists", "NoSourceRows",
        "DataFileWrongKind (model file)", "CsvTooFewColumns (delimiter)", "CsvLabelColumnNotFound (no header)",
        "FeatureCountMismatch", "NonFiniteParameter (Single)", "FeatureValueOutOfRange (Single)", "NetworkOverflow",
        "InvalidRegularization (Single)", "MonitorNeedsValidation",
        "TrainingDiverged (learning rate)", "TrainingDiverged (regularization)", "TrainingDiverged (unscaled inputs)",
    };

    [Theory]
    [MemberData(nameof(ErrorPaths))]
    public void An_engine_error_names_no_cmdlet_and_no_cmdlet_parameter(string path)
    {
        MlpException e = Assert.Throws<MlpException>(() => Drive(path));
        Assert.Equal(path.Split(' ')[0], e.ErrorId);
        Assert.DoesNotMatch(CmdletWording(), e.Message);
    }

    [Fact]
    public void A_training_warning_names_no_cmdlet_and_no_cmdlet_parameter()
    {
        var warnings = new List<TrainingWarning>();
        var net = Mlp.Create(64, 32, 10, seed: 1);
        Trainer.Train(net, BuiltInDatasets.Digits(), new TrainingOptions { Epochs = 3, LearningRate = 1000, MinDelta = 0.001, Seed = 1 },
            callbacks: new TrainingCallbacks { Warning = warnings.Add });
        TrainingWarning warning = Assert.Single(warnings);
        Assert.Contains("by more than MinDelta 0.001", warning.Message, StringComparison.Ordinal);
        Assert.EndsWith("The LearningRate (1000) is most likely too large.", warning.Message, StringComparison.Ordinal);
        Assert.Equal(new TrainingTrouble(TroubleCause.LearningRate, 1000, TrainingOptions.DefaultRegularization), warning.Trouble);
        Assert.DoesNotMatch(CmdletWording(), warning.Message);
    }

    [Fact]
    public void The_pattern_finds_the_wording_it_is_meant_to_find()
    {
        Assert.Matches(CmdletWording(), "use a network made for this data (New-Mlp with -InputSize 64)");
        Assert.Matches(CmdletWording(), "allow replacing it (Export-Dataset -Force).");
        Assert.Matches(CmdletWording(), "-Regularization 1E+300 is too large");
        Assert.Matches(CmdletWording(), "give -ValidationDataset or -ValidationFraction");
        Assert.Matches(CmdletWording(), "Invoke-MlpPrediction");
        Assert.DoesNotMatch(CmdletWording(), "the loss became -Infinity. Regularization (lambda) 1E+300, Double precision, overwrite: true");
        Assert.DoesNotMatch(CmdletWording(), "a 2-8-3 network; W1 is 2x8; file-name.csv");
    }

    [Fact]
    public void No_string_literal_of_the_engine_source_names_a_cmdlet_or_a_cmdlet_parameter()
    {
        string root = EngineSource();
        var found = new List<string>();
        foreach (string file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(root, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj")) continue;
            foreach ((int line, string text) in StringLiterals(File.ReadAllText(file)))
                if (CmdletWording().IsMatch(text)) found.Add($"{relative}:{line}: \"{text}\"");
        }
        Assert.True(found.Count == 0, "String literals in MlpTools.Core that name a cmdlet or a cmdlet parameter:\n" + string.Join("\n", found));
    }

    [Fact]
    public void The_literal_reader_skips_comments_and_keeps_each_kind_of_literal()
    {
        const string source = """"
            /// <summary>Export-Mlp -Force replaces it.</summary>
            // New-Mlp -Precision Double
            /* Import-Mlp */ char q = '"'; char e = '\''; string a = "plain \" -Quoted";
            string b = $"held {x:R} by {(y ? "inner -Inner" : "")} {{-Braced}}"; string c = @"verbatim ""-Verbatim""";
            """";
        Assert.Equal(
            new (int, string)[] { (3, "plain \" -Quoted"), (4, "inner -Inner"), (4, ""), (4, "held {} by {} {-Braced}"), (4, "verbatim \"-Verbatim\"") },
            StringLiterals(source));
    }

    private void Drive(string path)
    {
        Dataset digits = BuiltInDatasets.Digits().Subset(Enumerable.Range(0, 200).ToArray());
        switch (path)
        {
            case "ModelFileExists":
            {
                string file = Path.Combine(_temp.Path, "model.safetensors");
                ModelFile.Save(Mlp.Create(2, 3, 2, seed: 1), file, overwrite: false);
                ModelFile.Save(Mlp.Create(2, 3, 2, seed: 1), file, overwrite: false);
                break;
            }
            case "ModelNotFound (missing)": ModelFile.Load(Path.Combine(_temp.Path, "nope.safetensors")); break;
            case "ModelNotFound (folder)": ModelFile.Load(_temp.Path); break;
            case "DatasetFileExists":
            {
                string file = Path.Combine(_temp.Path, "data.csv");
                CsvDatasetWriter.Save(BuiltInDatasets.Spiral(2, 5, seed: 1), file, overwrite: false);
                CsvDatasetWriter.Save(BuiltInDatasets.Spiral(2, 5, seed: 1), file, overwrite: false);
                break;
            }
            case "NoSourceRows":
                CsvDatasetWriter.Save(BuiltInDatasets.Spiral(2, 5, seed: 1), Path.Combine(_temp.Path, "rows.csv"), overwrite: false,
                    new CsvWriteOptions { IncludeSourceRows = true });
                break;
            case "DataFileWrongKind (model file)":
            {
                string file = Path.Combine(_temp.Path, "model.safetensors");
                ModelFile.Save(Mlp.Create(2, 3, 2, seed: 1), file, overwrite: false);
                CsvDatasetReader.Read(file);
                break;
            }
            case "CsvTooFewColumns (delimiter)": CsvDatasetReader.Read(Path.Combine(DataTestFiles.Corpus, "csv", "semicolons.csv")); break;
            case "CsvLabelColumnNotFound (no header)":
                CsvDatasetReader.Read(_temp.Write("plain.csv", "1,2,a\n3,4,b\n"), new CsvOptions { Header = CsvHeader.Absent, LabelColumn = "species" });
                break;
            case "FeatureCountMismatch": Mlp.Create(2, 3, 10, seed: 1).EnsureCompatible(digits); break;
            case "NonFiniteParameter (Single)":
                Mlp.FromParameters(Matrix<double>.Build.DenseOfArray(new[,] { { 1e300 } }), Vector<double>.Build.Dense(1),
                    Matrix<double>.Build.DenseOfArray(new[,] { { 1.0, -1.0 } }), Vector<double>.Build.Dense(2), Precision.Single);
                break;
            case "FeatureValueOutOfRange (Single)": Mlp.Create(2, 3, 2, seed: 1).Evaluate(Edge(3.5e38)); break;
            case "NetworkOverflow":
                Mlp.FromParameters(Matrix<double>.Build.DenseOfArray(new[,] { { 1.0 }, { 1.0 } }), Vector<double>.Build.Dense(1),
                    Matrix<double>.Build.DenseOfArray(new[,] { { 2.0, -2.0 } }), Vector<double>.Build.Dense(2), Precision.Single).Evaluate(Edge(3.4e38));
                break;
            case "InvalidRegularization (Single)":
                Trainer.Train(Mlp.Create(2, 4, 2, seed: 1), Edge(1.0), new TrainingOptions { Epochs = 1, Regularization = 1e300, Seed = 1 });
                break;
            case "MonitorNeedsValidation":
                Trainer.Train(Mlp.Create(2, 4, 2, seed: 1), Edge(1.0), new TrainingOptions { Epochs = 1, Monitor = MonitorKind.ValidationLoss, Seed = 1 });
                break;
            case "TrainingDiverged (learning rate)":
                Trainer.Train(Mlp.Create(64, 16, 10, seed: 1), digits, new TrainingOptions { LearningRate = 1e6, Seed = 1 });
                break;
            case "TrainingDiverged (regularization)":
                Trainer.Train(Mlp.Create(64, 16, 10, seed: 1), digits, new TrainingOptions { Epochs = 5, Regularization = 1e6, Seed = 1 });
                break;
            case "TrainingDiverged (unscaled inputs)":
            {
                double[] loud = digits.Features.Multiply(1e10).ToRowMajorArray();
                Trainer.Train(Mlp.Create(64, 16, 10, seed: 1), Dataset.FromRows(loud, digits.Count, digits.FeatureCount, digits.Labels, digits.ClassNames, digits.FeatureNames, "loud"),
                    new TrainingOptions { Epochs = 5, Seed = 1 });
                break;
            }
            default: throw new ArgumentOutOfRangeException(nameof(path), path, "No such error path.");
        }
    }

    /// <summary>Three samples of two features, "small" and "big"; the second holds <paramref name="big"/> in "big".</summary>
    private static Dataset Edge(double big) => Dataset.FromRows(
        new[] { 0.5, 1.0, -0.25, big, 0.75, -1.0 }, 3, 2, new[] { 0, 1, 0 }, new[] { "a", "b" }, new[] { "small", "big" }, "edge");

    /// <summary>src/MlpTools.Core, found above the test assembly.</summary>
    private static string EngineSource()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "src", "MlpTools.Core");
            if (File.Exists(Path.Combine(candidate, "MlpTools.Core.csproj"))) return candidate;
        }
        throw new DirectoryNotFoundException("src/MlpTools.Core was not found above the test assembly.");
    }

    /// <summary>
    /// The string literals of C# source, outside comments, each with the line it starts on: regular, verbatim (@) and
    /// interpolated ($) strings; an interpolation hole reads as "{}", and literals inside it are given on their own.
    /// </summary>
    internal static List<(int Line, string Text)> StringLiterals(string source)
    {
        var found = new List<(int, string)>();
        int i = 0, line = 1;
        Code(source, ref i, ref line, found, hole: false);
        return found;
    }

    /// <summary>Reads code up to the end (or, in an interpolation hole, up to its closing brace), collecting literals.</summary>
    private static void Code(string s, ref int i, ref int line, List<(int, string)> found, bool hole)
    {
        int depth = 0;
        while (i < s.Length)
        {
            char c = s[i];
            if (c == '\n') line++;
            if (c == '/' && i + 1 < s.Length && s[i + 1] == '/')
            {
                while (i < s.Length && s[i] != '\n') i++;
                continue;
            }
            if (c == '/' && i + 1 < s.Length && s[i + 1] == '*')
            {
                int end = s.IndexOf("*/", i + 2, StringComparison.Ordinal);
                end = end < 0 ? s.Length : end + 2;
                line += s.AsSpan(i, end - i).Count('\n');
                i = end;
                continue;
            }
            if (c == '\'')
            {
                i++;
                while (i < s.Length && s[i] != '\'') i += s[i] == '\\' ? 2 : 1;
                i++;
                continue;
            }
            if (c == '"' || ((c == '$' || c == '@') && i + 1 < s.Length && (s[i + 1] == '"' || (s[i + 1] is '$' or '@' && i + 2 < s.Length && s[i + 2] == '"'))))
            {
                bool interpolated = false, verbatim = false;
                while (s[i] != '"')
                {
                    interpolated |= s[i] == '$';
                    verbatim |= s[i] == '@';
                    i++;
                }
                found.Add((line, Literal(s, ref i, ref line, found, interpolated, verbatim)));
                continue;
            }
            if (hole && c == '{') depth++;
            if (hole && c == '}' && depth-- == 0) return;
            i++;
        }
    }

    /// <summary>Reads one literal from its opening quote at <paramref name="i"/> to past its closing quote.</summary>
    private static string Literal(string s, ref int i, ref int line, List<(int, string)> found, bool interpolated, bool verbatim)
    {
        var text = new StringBuilder();
        i++;
        while (i < s.Length)
        {
            char c = s[i];
            if (c == '"')
            {
                if (verbatim && i + 1 < s.Length && s[i + 1] == '"')
                {
                    text.Append('"');
                    i += 2;
                    continue;
                }
                i++;
                break;
            }
            if (c == '\\' && !verbatim && i + 1 < s.Length)
            {
                char next = s[i + 1];
                text.Append(next switch { 'n' => '\n', 't' => '\t', 'r' => '\r', '0' => '\0', _ => next });
                i += 2;
                continue;
            }
            if (interpolated && (c == '{' || c == '}'))
            {
                if (i + 1 < s.Length && s[i + 1] == c)
                {
                    text.Append(c);
                    i += 2;
                    continue;
                }
                if (c == '{')
                {
                    i++;
                    Code(s, ref i, ref line, found, hole: true);
                    text.Append("{}");
                }
                i++;
                continue;
            }
            if (c == '\n') line++;
            text.Append(c);
            i++;
        }
        return text.ToString();
    }
}
