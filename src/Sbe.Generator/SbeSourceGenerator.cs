using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Wallet.Sbe.Generator;

/// <summary>
/// Incremental source generator: every <c>.xml</c> AdditionalFiles item whose root is an SBE 1.0
/// <c>messageSchema</c> becomes one C# file of allocation-free flyweight codecs. Other XML items are only used as
/// xi:include targets. Namespace: the item's <c>SbeNamespace</c> metadata, else
/// <c>$(SbeNamespacePrefix).</c> + PascalCase(package), else PascalCase(package).
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class SbeSourceGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<InputFile> files = context.AdditionalTextsProvider
            .Where(static f => f.Path.EndsWith(".xml", StringComparison.OrdinalIgnoreCase))
            .Combine(context.AnalyzerConfigOptionsProvider)
            .Select(static (pair, ct) =>
            {
                string text = pair.Left.GetText(ct)?.ToString() ?? string.Empty;
                pair.Right.GetOptions(pair.Left).TryGetValue("build_metadata.AdditionalFiles.SbeNamespace", out string? ns);
                return new InputFile(pair.Left.Path, text, string.IsNullOrWhiteSpace(ns) ? null : ns!.Trim());
            });

        IncrementalValueProvider<string?> prefix = context.AnalyzerConfigOptionsProvider.Select(static (o, _) =>
            o.GlobalOptions.TryGetValue("build_property.SbeNamespacePrefix", out string? p) && !string.IsNullOrWhiteSpace(p) ? p.Trim() : null);

        context.RegisterSourceOutput(files.Collect().Combine(prefix), static (spc, input) => Execute(spc, input.Left, input.Right));
    }

    private static void Execute(SourceProductionContext context, ImmutableArray<InputFile> files, string? prefix)
    {
        var all = new List<SchemaFile>(files.Length);
        foreach (InputFile f in files)
        {
            all.Add(new SchemaFile(f.Path, f.Text));
        }

        var hints = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (InputFile f in files)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            if (!SchemaParser.LooksLikeSchema(f.Text))
            {
                continue;
            }

            foreach ((string hint, string? source, IReadOnlyList<Diagnostic> diagnostics) in Generate(f, all, prefix, context.CancellationToken))
            {
                foreach (Diagnostic d in diagnostics)
                {
                    context.ReportDiagnostic(d);
                }

                if (source is not null)
                {
                    string unique = hint;
                    for (int i = 2; !hints.Add(unique); i++)
                    {
                        unique = hint + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    }

                    context.AddSource(unique + ".g.cs", SourceText.From(source, Encoding.UTF8));
                }
            }
        }
    }

    /// <summary>Parses and emits one schema; never throws (except cancellation): failures become diagnostics.</summary>
    internal static IEnumerable<(string Hint, string? Source, IReadOnlyList<Diagnostic> Diagnostics)> Generate(
        InputFile file, IReadOnlyList<SchemaFile> all, string? prefix, CancellationToken ct)
    {
        string fileName = SchemaParser.DisplayName(file.Path);
        try
        {
            var parser = new SchemaParser(new SchemaFile(file.Path, file.Text), all);
            SchemaDef? schema = parser.Parse();
            if (schema is null)
            {
                if (parser.Diagnostics.Count == 0)
                {
                    parser.Diagnostics.Add(Diagnostic.Create(SbeDiagnostics.InternalError, Location.Create(file.Path, default, default), "schema could not be read", fileName));
                }

                return new[] { ((string)string.Empty, (string?)null, (IReadOnlyList<Diagnostic>)parser.Diagnostics) };
            }

            ct.ThrowIfCancellationRequested();
            string ns = file.Namespace ?? ((prefix is null ? string.Empty : prefix + ".") + Naming.NamespaceFromPackage(schema.Package));
            var emitter = new CodeEmitter(schema, ns, fileName);
            string source = emitter.Emit();
            string hint = Sanitize(ns + "." + System.IO.Path.GetFileNameWithoutExtension(file.Path));
            return new[] { (hint, (string?)source, (IReadOnlyList<Diagnostic>)Array.Empty<Diagnostic>()) };
        }
        catch (OperationCanceledException)
        {
            throw;
        }
#pragma warning disable CA1031 // a generator must never crash the compiler: everything becomes a diagnostic
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var d = Diagnostic.Create(SbeDiagnostics.InternalError, Location.Create(file.Path, default, default), ex.GetType().Name + ": " + ex.Message, fileName);
            return new[] { ((string)string.Empty, (string?)null, (IReadOnlyList<Diagnostic>)new[] { d }) };
        }
    }

    private static string Sanitize(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (char c in s)
        {
            sb.Append(char.IsLetterOrDigit(c) || c == '.' || c == '_' ? c : '_');
        }

        return sb.ToString();
    }
}

/// <summary>One XML AdditionalFiles item with its namespace metadata (value-equatable for incremental caching).</summary>
internal sealed class InputFile : IEquatable<InputFile>
{
    public InputFile(string path, string text, string? ns)
    {
        Path = path;
        Text = text;
        Namespace = ns;
    }

    public string Path { get; }
    public string Text { get; }
    public string? Namespace { get; }

    public bool Equals(InputFile? other) =>
        other is not null && Path == other.Path && Text == other.Text && Namespace == other.Namespace;

    public override bool Equals(object? obj) => Equals(obj as InputFile);

    public override int GetHashCode() => (Path.GetHashCode() * 31) ^ Text.Length;
}
