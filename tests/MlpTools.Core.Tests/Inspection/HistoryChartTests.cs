using MlpTools.Core.Inspection;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Inspection;

public class HistoryChartTests
{
    private static EpochRecord Record(int epoch, double loss, double accuracy = 0.5, double? validationLoss = null, double? validationAccuracy = null) =>
        new(epoch, loss, accuracy, validationLoss, validationAccuracy ?? (validationLoss is null ? null : 0.5), 0.1, 1, 1, 0.01);

    private static string Text(IEnumerable<string> lines) => string.Join("\n", lines);

    [Fact]
    public void A_falling_line_in_Braille_has_its_dots_where_the_data_puts_them()
    {
        // From (epoch 1, loss 1) at the top-left dot to (epoch 2, loss 0) at the bottom-right one, over 22 columns of
        // 2 x 4 dots: the line falls one dot row every 43/7 dot columns.
        var history = new[] { Record(1, 1), Record(2, 0) };
        string expected = string.Join("\n",
            "Loss per epoch (epochs 1 to 2)",
            "1.0000 ┤⠉⠙⠒⠒⠲⠤⠤⢤⣀⣀⣀⡀",
            "0.0000 ┤           ⠉⠉⠉⠓⠒⠒⠦⠤⠤⣄⣀",
            "       └─────────────────────▲",
            "        1                    2",
            "⣀ training",
            "▲ best epoch 2: loss 0.0000");
        Assert.Equal(expected, Text(HistoryChart.Render(history, HistoryMetric.Loss, 2, width: 30, height: 2)));
    }

    [Fact]
    public void In_ASCII_training_is_drawn_over_validation_and_the_best_epoch_is_marked()
    {
        var history = new[] { Record(1, 1, validationLoss: 1), Record(2, 0, validationLoss: 1) };
        string expected = string.Join("\n",
            "Loss per epoch (epochs 1 to 2)",
            "1.0000 +************oooooooooo",
            "0.0000 +           ***********",
            "       +^---------------------",
            "        1                    2",
            "* training   o validation",
            "^ best epoch 1: loss 1.0000,",
            "validation 1.0000");
        Assert.Equal(expected, Text(HistoryChart.Render(history, HistoryMetric.Loss, HistoryChart.BestEpochOf(history), width: 30, height: 2, ascii: true)));
    }

    [Fact]
    public void The_best_epoch_is_marked_under_its_column_and_labelled_there()
    {
        var history = Enumerable.Range(1, 21).Select(e => Record(e, Math.Abs(e - 11) + 1.0)).ToArray();
        IReadOnlyList<string> lines = HistoryChart.Render(history, HistoryMetric.Loss, 11, width: 49, height: 4, ascii: true);
        // 40 plot columns after the 7-character label and " +": epoch 11 is halfway, column round(10 / 20 * 39) = 20.
        string axis = lines[5], epochs = lines[6];
        Assert.Equal(9 + 20, axis.IndexOf('^', StringComparison.Ordinal));
        Assert.Equal("11", epochs.Substring(9 + 20, 2));
        Assert.StartsWith("         1 ", epochs, StringComparison.Ordinal);
        Assert.Equal(49, epochs.Length);
        Assert.EndsWith(" 21", epochs, StringComparison.Ordinal);
        // The lowest loss, at the best epoch, is on the bottom row; the highest, at both ends, on the top row.
        Assert.Equal('*', lines[4][9 + 20]);
        Assert.Equal('*', lines[1][9]);
        Assert.Equal('*', lines[1][9 + 39]);
        Assert.StartsWith("11.0000 +", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void One_epoch_draws_one_point_with_its_value_as_the_only_label()
    {
        IReadOnlyList<string> lines = HistoryChart.Render(new[] { Record(1, 2.3, 0.1) }, HistoryMetric.Loss, 1, width: 40, height: 3, ascii: true);
        Assert.Equal("Loss per epoch (epoch 1)", lines[0]);
        Assert.Equal("       |", lines[1]);
        Assert.Equal("2.3000 +*", lines[2]);
        Assert.Equal("       |", lines[3]);
        Assert.Equal("       +^" + new string('-', 31), lines[4]);
        Assert.Equal("        1", lines[5]);
    }

    [Fact]
    public void Non_finite_values_leave_a_gap_and_are_counted_in_the_legend()
    {
        double[] losses = { 4, 3, double.NaN, double.PositiveInfinity, 2, 1 };
        var history = losses.Select((l, i) => Record(i + 1, l)).ToArray();
        IReadOnlyList<string> lines = HistoryChart.Render(history, HistoryMetric.Loss, 6, width: 40, height: 4, ascii: true);
        // 32 columns for epochs 1..6: epochs 2 and 5 fall in columns 6 and 25; nothing is drawn between them.
        for (int row = 1; row <= 4; row++)
        {
            string plot = lines[row][8..].PadRight(32);
            Assert.True(plot[7..25].Trim().Length == 0, $"row {row}: '{plot}'");
        }
        Assert.Equal('*', lines[1][8]);   // loss 4 at the top-left
        Assert.Equal('*', lines[4][8 + 31]);   // loss 1 at the bottom-right
        Assert.Contains("2 values NaN or infinite, not drawn", Text(lines), StringComparison.Ordinal);
    }

    [Fact]
    public void On_a_log_scale_powers_of_ten_fall_on_evenly_spaced_rows_and_values_of_0_are_left_out()
    {
        // 1000, 100, 10, 1 over 4 rows: one row down per epoch; the labels are the values. Epoch 5's 0 is left out.
        var history = new[] { Record(1, 1000), Record(2, 100), Record(3, 10), Record(4, 1), Record(5, 0) };
        IReadOnlyList<string> lines = HistoryChart.Render(history, HistoryMetric.Loss, 4, width: 49, height: 4, ascii: true, logScale: true);
        Assert.Equal("Loss per epoch, log scale (epochs 1 to 5)", lines[0]);
        Assert.StartsWith("1000.0000 +*", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("   1.0000 +", lines[4], StringComparison.Ordinal);
        // 38 columns: epoch e in column round((e - 1) / 4 * 37).
        int[] columns = { 0, 9, 19, 28 };
        for (int e = 1; e <= 4; e++) Assert.Equal('*', lines[e][11 + columns[e - 1]]);
        Assert.True(lines[4].Length <= 11 + 29, lines[4]);   // nothing drawn towards epoch 5
        Assert.Contains("1 value not above 0, not drawn on a log scale", string.Join(" ", lines), StringComparison.Ordinal);
        Assert.Equal(
            new[] { "Loss per epoch, log scale (epoch 1)", "Nothing to draw: every loss is NaN, infinite or not above 0 (a log scale draws", "only values above 0)." },
            HistoryChart.Render(new[] { Record(1, 0) }, HistoryMetric.Loss, null, logScale: true));
    }

    [Fact]
    public void A_run_with_no_finite_value_says_so_instead_of_drawing()
    {
        var history = new[] { Record(1, double.NaN), Record(2, double.PositiveInfinity) };
        IReadOnlyList<string> lines = HistoryChart.Render(history, HistoryMetric.Loss, null);
        Assert.Equal(new[] { "Loss per epoch (epochs 1 to 2)", "Nothing to draw: every loss is NaN or infinite (the run diverged)." }, lines);
    }

    [Fact]
    public void Thousands_of_epochs_are_drawn_a_column_at_a_time_and_keep_a_spike()
    {
        var history = Enumerable.Range(1, 5000).Select(e => Record(e, e == 2500 ? 10 : 1.0 / e)).ToArray();
        IReadOnlyList<string> lines = HistoryChart.Render(history, HistoryMetric.Loss, null, width: 79, height: 8);
        // 70 columns, after the 7-character label "10.0000" and " ┤".
        Assert.Equal("Loss per epoch (epochs 1 to 5,000, about 71 to a column)", lines[0]);
        Assert.All(lines, l => Assert.True(l.Length <= 79, $"{l.Length}: {l}"));
        // The spike at epoch 2500 reaches the top row, in the column halfway along, and nowhere else does.
        int column = TextChart.Column(2500, 1, 5000, 70 * 2) / 2;
        Assert.Equal(34, column);
        Assert.StartsWith("10.0000 ┤", lines[1], StringComparison.Ordinal);
        string top = lines[1][9..].PadRight(70);
        Assert.NotEqual(' ', top[column]);
        Assert.Equal(new string(' ', 69), top.Remove(column, 1));
        Assert.Equal(new string(' ', 9) + "1" + new string(' ', 64) + "5,000", lines[10]);
    }

    [Theory]
    [InlineData(30, 2)]
    [InlineData(50, 5)]
    [InlineData(79, 8)]
    [InlineData(200, 30)]
    public void Every_line_fits_the_width_asked_for(int width, int height)
    {
        var history = Enumerable.Range(1, 137).Select(e => Record(e, 1e6 / e, e / 137.0, 2e6 / e, e / 150.0)).ToArray();
        foreach (HistoryMetric metric in Enum.GetValues<HistoryMetric>())
            foreach (bool ascii in new[] { false, true })
            {
                IReadOnlyList<string> lines = HistoryChart.Render(history, metric, 100, width, height, ascii);
                Assert.True(lines.Count >= height + 4);
                Assert.All(lines, l => Assert.True(l.Length <= width, $"{width}: {l.Length}: {l}"));
            }
    }

    [Fact]
    public void Bad_sizes_and_an_empty_history_are_refused()
    {
        var history = new[] { Record(1, 1) };
        Assert.Equal("ChartTooNarrow", Assert.Throws<MlpException>(() => HistoryChart.Render(history, HistoryMetric.Loss, null, width: 29)).ErrorId);
        Assert.Equal("ChartTooLow", Assert.Throws<MlpException>(() => HistoryChart.Render(history, HistoryMetric.Loss, null, height: 1)).ErrorId);
        Assert.Equal("HistoryEmpty", Assert.Throws<MlpException>(() => HistoryChart.Render(Array.Empty<EpochRecord>(), HistoryMetric.Loss, null)).ErrorId);
    }

    [Fact]
    public void The_default_best_epoch_is_the_lowest_validation_loss_else_the_lowest_loss()
    {
        Assert.Equal(2, HistoryChart.BestEpochOf(new[] { Record(1, 3), Record(2, 1), Record(3, 2) }));
        Assert.Equal(3, HistoryChart.BestEpochOf(new[] { Record(1, 3, validationLoss: 5), Record(2, 1, validationLoss: double.NaN), Record(3, 2, validationLoss: 4) }));
        Assert.Null(HistoryChart.BestEpochOf(new[] { Record(1, double.NaN) }));
    }

    [Fact]
    public void The_envelope_joins_points_and_keeps_every_extreme_of_a_column()
    {
        // Two points ten dot columns apart: every column between them is reached.
        var joined = TextChart.Envelope(new[] { (0.0, 0.0), (1.0, 9.0) }, 0, 1, 0, 9, 10, 10).ToArray();
        Assert.Equal(Enumerable.Range(0, 10), joined.Select(c => c.Column));
        Assert.Equal((0, 0, 1), joined[0]);   // x up to half a column: y up to 0.5, which rounds up
        Assert.Equal((9, 9, 9), joined[9]);
        // A hundred points in one column: it spans from their lowest to their highest.
        var many = Enumerable.Range(0, 100).Select(i => (i / 1000.0, i % 7 == 0 ? 9.0 : 3.0)).Append((1.0, 0.0)).ToArray();
        Assert.Equal((0, 3, 9), TextChart.Envelope(many, 0, 1, 0, 9, 10, 10).First());
        // A point between two gaps is drawn alone.
        var lone = new[] { (0.0, double.NaN), (0.5, 4.0), (1.0, double.NaN) };
        Assert.Equal(new[] { (5, 4, 4) }, TextChart.Envelope(lone, 0, 1, 0, 9, 11, 10));
    }
}
