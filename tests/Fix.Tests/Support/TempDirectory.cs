namespace Wallet.Fix.Tests.Support;

/// <summary>A unique directory under the system temp folder (or under <c>root</c>), deleted on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string label, string? root = null)
    {
        Path = System.IO.Path.Combine(root ?? System.IO.Path.GetTempPath(), "wallet-tests", label + "-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
