using System.Text;
using Wallet.Engine.Ledger;

namespace Wallet.Fuzz.Targets;

/// <summary>
/// Amount text as JSON, FIX and the CLI carry it: <see cref="AmountText.TryParse(ReadOnlySpan{char}, byte, bool, out long, out AmountParseError)"/>
/// never throws, a refusal always names a reason, and an accepted amount is exact: it formats and parses back to
/// the same minor units at the same scale.
/// </summary>
internal static class AmountTarget
{
    private static readonly byte[] s_scales = [0, 2, 8, 18];
    private const int MaxTextChars = 256; // every text form caps its fields far below this

    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length > MaxTextChars) input = input[..MaxTextChars];
        string text = Encoding.Latin1.GetString(input); // one char per byte: every byte value reaches the parser
        foreach (byte scale in s_scales)
        {
            foreach (bool allowNegative in (ReadOnlySpan<bool>)[false, true])
            {
                if (AmountText.TryParse(text, scale, allowNegative, out long minor, out AmountParseError error))
                {
                    if (error != AmountParseError.None) throw new FuzzFinding("AmountText: accepted with an error set");
                    if (minor < 0 && !allowNegative) throw new FuzzFinding("AmountText: a negative amount where none is allowed");
                    string formatted = AmountText.Format(minor, scale);
                    if (!AmountText.TryParse(formatted, scale, allowNegative: true, out long again, out _) || again != minor)
                        throw new FuzzFinding($"AmountText: '{formatted}' does not parse back to {minor} at scale {scale}");
                }
                else if (error == AmountParseError.None)
                {
                    throw new FuzzFinding("AmountText: refused without a reason");
                }
            }
        }
    }

    public static IReadOnlyList<byte[]> Seeds()
    {
        string[] texts = ["0", "1", "100.00", "0.01", "-5.5", "9223372036854775807", "92233720368547758.07", "1e5", "+1", " 1", "1.", ".5", "NaN", "0.000000000000000001"];
        var seeds = new List<byte[]>(texts.Length);
        foreach (string t in texts) seeds.Add(Encoding.ASCII.GetBytes(t));
        return seeds;
    }
}
