using FsCheck;
using FsCheck.Xunit;
using Wallet.Fix.Tests.Support;
using Wallet.Gateway.Fix;

namespace Wallet.Fix.Tests;

/// <summary>
/// Property-based byte mutation of the seed corpus (tests/Fix.Tests/corpus): flips, inserts, deletes, duplicates and
/// splices. The framer and the field parser must never throw, always make progress, stay inside the buffer, and
/// accept only messages whose checksum really matches. A live session fed the mutants must stay up.
/// </summary>
public sealed class FuzzTests
{
    private static readonly byte[][] s_corpus = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "corpus"), "*.fix")
        .Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();

    private static readonly byte[] s_interesting = "=\u000189|0A-.+eE8=FIX.4.4\u00019=10=35=34="u8.ToArray();

    internal static byte[] Mutate(byte[] seed, int[] ops)
    {
        var bytes = new List<byte>(seed);
        for (int i = 0; i + 2 < ops.Length; i += 3)
        {
            int kind = Math.Abs(ops[i] % 6);
            int at = bytes.Count == 0 ? 0 : Math.Abs(ops[i + 1] % bytes.Count);
            int arg = ops[i + 2];
            switch (kind)
            {
                case 0 when bytes.Count > 0: bytes[at] = (byte)arg; break;
                case 1: bytes.Insert(at, s_interesting[Math.Abs(arg % s_interesting.Length)]); break;
                case 2 when bytes.Count > 0: bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + Math.Abs(arg % 8))); break;
                case 3 when bytes.Count > 0: bytes.InsertRange(at, bytes.GetRange(at, Math.Min(bytes.Count - at, 1 + Math.Abs(arg % 16)))); break;
                case 4: bytes.InsertRange(at, s_corpus[Math.Abs(arg % s_corpus.Length)]); break;
                case 5 when bytes.Count > 0: bytes[at] = (byte)(bytes[at] ^ (1 << Math.Abs(arg % 8))); break;
            }
        }
        return [.. bytes];
    }

    private static bool FrameAll(byte[] input)
    {
        var message = new FixMessage(32);
        int offset = 0;
        int guard = 0;
        while (offset < input.Length)
        {
            if (++guard > input.Length + 1) return false; // no progress
            FixFrameStatus s = FixFramer.Next(input.AsSpan(offset), 512, out int consumed, out int bodyStart, out int bodyEnd);
            if (s == FixFrameStatus.NeedMore) return consumed == 0;
            if (consumed < 1 || offset + consumed > input.Length) return false;
            if (s == FixFrameStatus.Complete)
            {
                if (bodyStart < 0 || bodyEnd > consumed || bodyStart > bodyEnd) return false;
                int sum = 0;
                for (int i = 0; i < bodyEnd; i++) sum += input[offset + i];
                int declared = (input[offset + bodyEnd + 3] - '0') * 100 + (input[offset + bodyEnd + 4] - '0') * 10 + (input[offset + bodyEnd + 5] - '0');
                if (sum % 256 != declared) return false;
                FixParseError e = message.Parse(input, offset + bodyStart, offset + bodyEnd);
                if (e == FixParseError.None && message.FieldCount < 1) return false;
                message.TryGetInt(FixTag.MsgSeqNum, out _);
                message.TryGetUInt128(FixTag.TransferId, out _);
            }
            offset += consumed;
        }
        return true;
    }

    /// <summary>FsCheck prints the replay seed of a failing case; the shrunk mutation list reproduces it.</summary>
    [Property(MaxTest = 3000)]
    public bool Mutated_corpus_never_breaks_the_framer_or_the_parser(NonNegativeInt seedIndex, int[] ops) =>
        FrameAll(Mutate(s_corpus[seedIndex.Get % s_corpus.Length], ops));

    [Fact(Timeout = 60_000)]
    public async Task A_live_session_fed_mutants_stays_up_and_moves_no_money()
    {
        using var dir = new TempDirectory("fix-fuzz");
        await using FixFixture f = await FixFixture.StartAsync(dir.Path);
        var random = new System.Random(20261126);
        for (int round = 0; round < 40; round++)
        {
            // Odd rounds first log on, so the mutants reach the logged-on session code, not only the logon gate.
            await using RawFixClient c = round % 2 == 1 ? await f.LogonAsync() : await f.ConnectAsync();
            byte[] seed = s_corpus[random.Next(s_corpus.Length)];
            int[] ops = Enumerable.Range(0, 3 * random.Next(1, 6)).Select(_ => random.Next()).ToArray();
            c.SendRaw(Mutate(seed, ops));
            await c.ClosedAsync(150); // whatever it answers, or nothing at all
        }
        await using RawFixClient ok = await f.LogonAsync();
        ok.Send("UQ", "5030=q|5020=1001|");
        // Account 1001 was never created by a valid message: the mutants applied nothing.
        Assert.Equal("300", (await ok.ReceiveTypeAsync("UP"))[5010]);
    }
}
