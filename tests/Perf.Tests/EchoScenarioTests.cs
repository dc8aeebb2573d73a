using Wallet.Perf.Harness;

namespace Wallet.Perf.Tests;

/// <summary>The TCP floor scenario answers every frame it sends and reports one latency sample per frame.</summary>
public sealed class EchoScenarioTests
{
    [Theory(Timeout = 30_000)]
    [InlineData("due")]
    [InlineData("per-frame")]
    public async Task Every_frame_sent_is_echoed_and_measured_once(string sender)
    {
        await Task.Yield();
        IScenario echo = ScenarioRegistry.Find("echo")!;
        PerfOptions options = PerfOptions.Parse(["--rates", "2000", "--duration-s", "0.5", "--warmup-s", "0", "--sender", sender], echo);
        ScenarioResult result = echo.Run(options, TextWriter.Null);

        double Metric(string name) => result.Metrics.Single(m => m.Group == "2000/s" && m.Name == name).Value;
        Assert.Equal(0, Metric("unanswered"));
        Assert.Equal(1000, Metric("latency count"));
        Assert.InRange(Metric("latency p50"), 1, 1_000_000_000);
        if (sender == "per-frame") Assert.Equal(1, Metric("client sends per frame"));
        else Assert.InRange(Metric("client sends per frame"), 0.0001, 1);
    }

    [Fact]
    public void An_unknown_sender_is_refused_by_name()
    {
        IScenario echo = ScenarioRegistry.Find("echo")!;
        PerfOptions options = PerfOptions.Parse(["--sender", "batch", "--duration-s", "0.1"], echo);
        var e = Assert.Throws<PerfOptionsException>(() => echo.Run(options, TextWriter.Null));
        Assert.Contains("--sender must be per-frame or due", e.Message, StringComparison.Ordinal);
    }
}
