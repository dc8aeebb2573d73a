using Microsoft.Extensions.Configuration;
using Wallet.Host.Configuration;

namespace Wallet.Gateway.Tests.Support;

/// <summary>The shipped appsettings.json (copied next to the tests) with overrides on top, as `wallet serve` would read it.</summary>
internal static class ShippedSettings
{
    private static readonly string Shipped = Path.Combine(AppContext.BaseDirectory, "appsettings.json");

    public static IConfiguration With(params (string Key, string? Value)[] overrides) => new ConfigurationBuilder()
        .AddJsonFile(Shipped, optional: false)
        .AddInMemoryCollection(Array.ConvertAll(overrides, o => new KeyValuePair<string, string?>(o.Key, o.Value)))
        .Build();

    public static ServeSettings Load(params (string Key, string? Value)[] overrides) => ServeSettings.Load(With(overrides));
}
