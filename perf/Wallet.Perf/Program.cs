namespace Wallet.Perf;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.Error.WriteLine("scenarios arrive with the ring buffer");
        return args.Length == 0 ? 2 : 2;
    }
}
