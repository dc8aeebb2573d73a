using System.Diagnostics;

namespace Wallet.Cluster.Tests;

/// <summary>Helpers shared by the tests that run several <see cref="ServeNode"/> processes under client load.</summary>
internal static class ServeNodes
{
    /// <summary>Every node's output, one block per node: the context a failing process test prints.</summary>
    public static string AllOutput(IEnumerable<ServeNode?> nodes)
    {
        var s = new System.Text.StringBuilder();
        foreach (ServeNode? n in nodes)
        {
            if (n is not null) s.Append("--- node ").Append(n.Id).AppendLine().Append(n.Output);
        }
        return s.ToString();
    }

    /// <summary>Waits (bounded, polling every 10 ms) until <paramref name="acked"/> reaches <paramref name="atLeast"/>; fails with every node's output.</summary>
    public static async Task WaitForAcksAsync(Func<int> acked, int atLeast, int timeoutMs, IEnumerable<ServeNode?> nodes)
    {
        var sw = Stopwatch.StartNew();
        while (acked() < atLeast)
        {
            Assert.True(sw.ElapsedMilliseconds < timeoutMs, $"only {acked()} of {atLeast} acks within {timeoutMs} ms:\n{AllOutput(nodes)}");
            await Task.Delay(10);
        }
    }
}
