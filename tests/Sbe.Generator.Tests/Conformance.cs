using System.Reflection;

namespace Wallet.Sbe.Generator.Tests;

/// <summary>Where the shared conformance vectors are (outside the repository, injected at build time).</summary>
internal static class Conformance
{
    public static string Directory { get; } = typeof(Conformance).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "SbeConformanceDir").Value!;

    public static byte[] CarBaseline() => File.ReadAllBytes(Path.Combine(Directory, "car_example_baseline_data.sbe"));

    public static string SchemaText(string name) => File.ReadAllText(Path.Combine(Directory, name));
}
