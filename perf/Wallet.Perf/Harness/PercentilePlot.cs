using System.Globalization;
using HdrHistogram;

namespace Wallet.Perf.Harness;

/// <summary>
/// The percentile-distribution chart (HdrHistogram style): x = percentile on a "nines" axis, i.e. log10(1 / (1 - p)),
/// so 90 %, 99 %, 99.9 % … are evenly spaced; y = latency on a log10 axis. Several runs overlaid, one line each.
/// </summary>
internal static class PercentilePlot
{
    /// <summary>Points per decade of "nines".</summary>
    private const int StepsPerNine = 20;

    /// <summary>The curve of one histogram: (nines, log10 ns) points up to the histogram's resolution, then its max.</summary>
    public static (double[] X, double[] Y) Curve(HistogramBase histogram)
    {
        long count = histogram.TotalCount;
        var xs = new List<double>();
        var ys = new List<double>();
        if (count == 0) return ([], []);
        double maxNines = Math.Log10(count);
        for (int k = 0; ; k++)
        {
            double nines = (double)k / StepsPerNine;
            if (nines > maxNines) break;
            double p = 1 - Math.Pow(10, -nines);
            xs.Add(nines);
            ys.Add(Log(histogram.GetValueAtPercentile(p * 100)));
        }
        xs.Add(Math.Max(maxNines, xs.Count > 0 ? xs[^1] : 0));
        ys.Add(Log(histogram.GetMaxValue()));
        return ([.. xs], [.. ys]);
    }

    /// <summary>Writes the chart as PNG (and SVG beside it when <paramref name="svgPath"/> is given).</summary>
    public static void Save(string title, IReadOnlyList<(string Label, HistogramBase Histogram)> runs, string pngPath, string? svgPath)
    {
        var plot = new ScottPlot.Plot();
        double maxX = 1, minY = double.MaxValue, maxY = double.MinValue;
        foreach ((string label, HistogramBase histogram) in runs)
        {
            (double[] x, double[] y) = Curve(histogram);
            if (x.Length == 0) continue;
            var line = plot.Add.Scatter(x, y);
            line.LegendText = label;
            line.MarkerSize = 0;
            line.LineWidth = 2;
            maxX = Math.Max(maxX, x[^1]);
            foreach (double v in y)
            {
                minY = Math.Min(minY, v);
                maxY = Math.Max(maxY, v);
            }
        }
        if (minY > maxY)
        {
            minY = 3;
            maxY = 6;
        }
        var xTicks = new ScottPlot.TickGenerators.NumericManual();
        for (int n = 0; n <= (int)Math.Ceiling(maxX); n++) xTicks.AddMajor(n, NinesLabel(n));
        plot.Axes.Bottom.TickGenerator = xTicks;
        var yTicks = new ScottPlot.TickGenerators.NumericManual();
        int lowDecade = (int)Math.Floor(minY), highDecade = (int)Math.Ceiling(maxY);
        if (highDecade == lowDecade) highDecade++;
        for (int d = lowDecade; d <= highDecade; d++) yTicks.AddMajor(d, NsLabel(d));
        plot.Axes.Left.TickGenerator = yTicks;
        plot.Axes.SetLimits(0, Math.Ceiling(maxX), lowDecade, highDecade);
        plot.Title(title);
        plot.XLabel("percentile (log scale of 1/(1-p))");
        plot.YLabel("latency from intended send time (log scale)");
        plot.ShowLegend(ScottPlot.Edge.Right); // outside the data area: never hides a curve
        plot.SavePng(pngPath, 1400, 560);
        if (svgPath is not null) plot.SaveSvg(svgPath, 1400, 560);
    }

    /// <summary>0 → "0%", 1 → "90%", 2 → "99%", 3 → "99.9%" …</summary>
    public static string NinesLabel(int nines) => nines switch
    {
        0 => "0%",
        1 => "90%",
        2 => "99%",
        _ => "99." + new string('9', nines - 2) + "%",
    };

    /// <summary>Decade of ns → "1 µs", "10 ms", "1 s" …</summary>
    public static string NsLabel(int decade)
    {
        string[] units = ["ns", "µs", "ms", "s"];
        int unit = Math.Clamp(decade / 3, 0, units.Length - 1);
        double value = Math.Pow(10, decade - unit * 3);
        return value.ToString("0.###", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    private static double Log(long ns) => Math.Log10(Math.Max(1, ns));
}
