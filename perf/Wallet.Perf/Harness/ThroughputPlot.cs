namespace Wallet.Perf.Harness;

/// <summary>Throughput over time: completions per second in each interval of each run, runs overlaid from their own start.</summary>
internal static class ThroughputPlot
{
    public static void Save(string title, IReadOnlyList<ThroughputTimeline> timelines, string pngPath, string? svgPath)
    {
        var plot = new ScottPlot.Plot();
        foreach (ThroughputTimeline timeline in timelines)
        {
            double[] rates = timeline.RatesPerSecond();
            if (rates.Length == 0) continue;
            var seconds = new double[rates.Length];
            for (int i = 0; i < rates.Length; i++) seconds[i] = (i + 1) * timeline.IntervalMs / 1000.0;
            var line = plot.Add.Scatter(seconds, rates);
            line.LegendText = timeline.Name;
            line.MarkerSize = 0;
            line.LineWidth = 2;
        }
        plot.Title(title);
        plot.XLabel($"seconds since the phase started");
        plot.YLabel("completed per second");
        plot.Axes.Margins(bottom: 0);
        plot.ShowLegend(ScottPlot.Edge.Right); // outside the data area: never hides a curve
        plot.SavePng(pngPath, 1400, 500);
        if (svgPath is not null) plot.SaveSvg(svgPath, 1400, 500);
    }
}
