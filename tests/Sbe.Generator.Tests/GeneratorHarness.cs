using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using System.Diagnostics.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Wallet.Sbe.Generator.Tests;

/// <summary>Runs <see cref="SbeSourceGenerator"/> in-process on in-memory schema files.</summary>
internal static class GeneratorHarness
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray());

    internal sealed class Result
    {
        public required ImmutableArray<Diagnostic> Diagnostics { get; init; }
        public required ImmutableArray<GeneratedSourceResult> Sources { get; init; }
        public required Exception? Exception { get; init; }
        public required Compilation Output { get; init; }
    }

    public static Result Run(params (string Path, string Text)[] files) => Run(new Dictionary<string, string>(), files);

    public static Result Run(Dictionary<string, string> globalOptions, params (string Path, string Text)[] files)
    {
        CSharpCompilation compilation = CSharpCompilation.Create(
            "SbeHarness",
            [CSharpSyntaxTree.ParseText("namespace Probe { internal static class Empty { } }", new CSharpParseOptions(LanguageVersion.Preview))],
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            [new SbeSourceGenerator().AsSourceGenerator()],
            files.Select(f => (AdditionalText)new MemoryText(f.Path, f.Text)),
            new CSharpParseOptions(LanguageVersion.Preview),
            new Options(globalOptions));
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out _);
        GeneratorRunResult run = driver.GetRunResult().Results.Single();
        return new Result { Diagnostics = run.Diagnostics, Sources = run.GeneratedSources, Exception = run.Exception, Output = output };
    }

    /// <summary>Compiler errors of the generated code (the compilation holds only it plus an empty probe file).</summary>
    public static IReadOnlyList<Diagnostic> CompileErrors(Result r) =>
        r.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();

    private sealed class Options(Dictionary<string, string> global) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions { get; } = new Values(global);

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new Values([]);

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => new Values([]);
    }

    private sealed class Values(Dictionary<string, string> values) : AnalyzerConfigOptions
    {
        public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
    }

    private sealed class MemoryText(string path, string text) : AdditionalText
    {
        public override string Path { get; } = path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text);
    }
}
