using System.Xml.Linq;
using Microsoft.CodeAnalysis;

namespace Wallet.Sbe.Generator.Tests;

/// <summary>Bad schemas produce SBExxx diagnostics naming the element and the file; the generator never throws.</summary>
public class DiagnosticsTests
{
    private const string Header = """
        <composite name="messageHeader">
          <type name="blockLength" primitiveType="uint16"/>
          <type name="templateId" primitiveType="uint16"/>
          <type name="schemaId" primitiveType="uint16"/>
          <type name="version" primitiveType="uint16"/>
        </composite>
        """;

    private const string GroupSize = """
        <composite name="groupSizeEncoding">
          <type name="blockLength" primitiveType="uint16"/>
          <type name="numInGroup" primitiveType="uint16"/>
        </composite>
        """;

    private static string Schema(string types, string messages, int version = 0) => $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <sbe:messageSchema xmlns:sbe="http://fixprotocol.io/2016/sbe" package="bad.schema" id="5" version="{version}">
          <types>
            {types}
          </types>
          {messages}
        </sbe:messageSchema>
        """;

    private static Diagnostic Single(string schemaText, string expectedId, string fileName = "bad-schema.xml")
    {
        GeneratorHarness.Result r = GeneratorHarness.Run(("/schemas/" + fileName, schemaText));
        Assert.Null(r.Exception);
        Assert.Empty(r.Sources); // never half-generated code for a bad schema
        Assert.NotEmpty(r.Diagnostics);
        Assert.All(r.Diagnostics, d => Assert.Equal(DiagnosticSeverity.Error, d.Severity));
        Diagnostic d = Assert.Single(r.Diagnostics, x => x.Id == expectedId);
        string message = d.GetMessage();
        Assert.Contains(fileName, message, StringComparison.Ordinal);
        Assert.Equal("/schemas/" + fileName, d.Location.GetLineSpan().Path);
        return d;
    }

    [Fact]
    public void Unknown_primitive_type_is_SBE003()
    {
        Diagnostic d = Single(Schema(Header + """<type name="Huge" primitiveType="uint128"/>""", """<sbe:message name="M" id="1"><field name="f" id="1" type="Huge"/></sbe:message>"""), "SBE003");
        Assert.Contains("Huge", d.GetMessage(), StringComparison.Ordinal);
        Assert.Contains("uint128", d.GetMessage(), StringComparison.Ordinal);
        Assert.True(d.Location.GetLineSpan().StartLinePosition.Line > 0);
    }

    [Fact]
    public void Field_with_undefined_type_is_SBE004()
    {
        Diagnostic d = Single(Schema(Header, """<sbe:message name="M" id="1"><field name="price" id="1" type="Money"/></sbe:message>"""), "SBE004");
        Assert.Contains("price", d.GetMessage(), StringComparison.Ordinal);
        Assert.Contains("Money", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Ref_to_undefined_type_is_SBE004()
    {
        Diagnostic d = Single(Schema(Header + """<composite name="C"><ref name="inner" type="Ghost"/></composite>""", """<sbe:message name="M" id="1"><field name="c" id="1" type="C"/></sbe:message>"""), "SBE004");
        Assert.Contains("inner", d.GetMessage(), StringComparison.Ordinal);
        Assert.Contains("Ghost", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_field_id_is_SBE005()
    {
        Diagnostic d = Single(Schema(Header, """<sbe:message name="M" id="1"><field name="a" id="1" type="int32"/><field name="b" id="1" type="int32"/></sbe:message>"""), "SBE005");
        Assert.Contains("name=\"b\"", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_field_name_is_SBE006()
    {
        Diagnostic d = Single(Schema(Header, """<sbe:message name="M" id="1"><field name="a" id="1" type="int32"/><field name="a" id="2" type="int64"/></sbe:message>"""), "SBE006");
        Assert.Contains("name=\"a\"", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Field_named_like_a_generated_member_is_SBE006()
    {
        Diagnostic d = Single(Schema(Header, """<sbe:message name="M" id="1"><field name="limit" id="1" type="int32"/></sbe:message>"""), "SBE006");
        Assert.Contains("limit", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Group_named_like_its_message_is_SBE006_not_uncompilable_code()
    {
        Diagnostic d = Single(Schema(Header + GroupSize, """<sbe:message name="Accounts" id="1"><group name="accounts" id="2" dimensionType="groupSizeEncoding"><field name="x" id="3" type="int32"/></group></sbe:message>"""), "SBE006");
        Assert.Contains("named like the block", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Group_without_dimension_type_is_SBE007()
    {
        Diagnostic d = Single(Schema(Header, """<sbe:message name="M" id="1"><group name="legs" id="2"><field name="x" id="3" type="int32"/></group></sbe:message>"""), "SBE007");
        Assert.Contains("legs", d.GetMessage(), StringComparison.Ordinal);
        Assert.Contains("dimensionType", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Group_whose_dimension_lacks_numInGroup_is_SBE007()
    {
        string dim = """<composite name="dim"><type name="blockLength" primitiveType="uint16"/></composite>""";
        Diagnostic d = Single(Schema(Header + dim, """<sbe:message name="M" id="1"><group name="legs" id="2" dimensionType="dim"><field name="x" id="3" type="int32"/></group></sbe:message>"""), "SBE007");
        Assert.Contains("numInGroup", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_xml_is_SBE001()
    {
        Diagnostic d = Single("<sbe:messageSchema xmlns:sbe=\"http://fixprotocol.io/2016/sbe\" package=\"p\" id=\"1\"><types></sbe:messageSchema>", "SBE001");
        Assert.Contains("malformed XML", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_message_header_is_SBE008()
    {
        Diagnostic d = Single(Schema(GroupSize, """<sbe:message name="M" id="1"><field name="a" id="1" type="int32"/></sbe:message>"""), "SBE008");
        Assert.Contains("messageHeader", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Header_without_templateId_is_SBE008()
    {
        string header = """<composite name="messageHeader"><type name="blockLength" primitiveType="uint16"/><type name="schemaId" primitiveType="uint16"/><type name="version" primitiveType="uint16"/></composite>""";
        Diagnostic d = Single(Schema(header, """<sbe:message name="M" id="1"/>"""), "SBE008");
        Assert.Contains("templateId", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void SinceVersion_above_schema_version_is_SBE009()
    {
        Diagnostic d = Single(Schema(Header, """<sbe:message name="M" id="1"><field name="late" id="1" type="int32" sinceVersion="3"/></sbe:message>""", version: 2), "SBE009");
        Assert.Contains("late", d.GetMessage(), StringComparison.Ordinal);
        Assert.Contains("sinceVersion 3", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Overlapping_offset_and_short_block_length_are_SBE010()
    {
        Diagnostic d = Single(Schema(Header, """<sbe:message name="M" id="1"><field name="a" id="1" type="int64"/><field name="b" id="2" type="int32" offset="4"/></sbe:message>"""), "SBE010");
        Assert.Contains("name=\"b\"", d.GetMessage(), StringComparison.Ordinal);
        d = Single(Schema(Header, """<sbe:message name="M" id="1" blockLength="4"><field name="a" id="1" type="int64"/></sbe:message>"""), "SBE010");
        Assert.Contains("blockLength 4", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Group_block_longer_than_a_uint8_dimension_can_carry_is_SBE010()
    {
        string dim = """<composite name="tiny"><type name="blockLength" primitiveType="uint8"/><type name="numInGroup" primitiveType="uint8"/></composite>""";
        Diagnostic d = Single(Schema(Header + dim, """<sbe:message name="M" id="1"><group name="big" id="1" dimensionType="tiny" blockLength="300"><field name="x" id="2" type="int8"/></group></sbe:message>"""), "SBE010");
        Assert.Contains("big", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Var_data_without_length_member_is_SBE011()
    {
        string v = """<composite name="badVar"><type name="len" primitiveType="uint16"/><type name="varData" primitiveType="uint8" length="0"/></composite>""";
        Diagnostic d = Single(Schema(Header + v, """<sbe:message name="M" id="1"><data name="blob" id="1" type="badVar"/></sbe:message>"""), "SBE011");
        Assert.Contains("blob", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_valueRef_is_SBE012()
    {
        string e = """<enum name="Side" encodingType="char"><validValue name="Buy">B</validValue></enum>""";
        Diagnostic d = Single(Schema(Header + e, """<sbe:message name="M" id="1"><field name="s" id="1" type="Side" presence="constant" valueRef="Side.Sell"/></sbe:message>"""), "SBE012");
        Assert.Contains("Side.Sell", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_include_is_SBE013()
    {
        string text = Schema(Header, "").Replace("<types>", "<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"nowhere.xml\"/><types>", StringComparison.Ordinal);
        Diagnostic d = Single(text, "SBE013");
        Assert.Contains("nowhere.xml", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Field_after_group_is_SBE014()
    {
        Diagnostic d = Single(Schema(Header + GroupSize, """<sbe:message name="M" id="1"><group name="g" id="1"><field name="x" id="2" type="int8"/></group><field name="late" id="3" type="int8"/></sbe:message>"""), "SBE014");
        Assert.Contains("late", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Set_choice_outside_encoding_is_SBE016()
    {
        string s = """<set name="Bits" encodingType="uint8"><choice name="tooHigh">8</choice></set>""";
        Diagnostic d = Single(Schema(Header + s, """<sbe:message name="M" id="1"><field name="b" id="1" type="Bits"/></sbe:message>"""), "SBE016");
        Assert.Contains("tooHigh", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Errors_in_an_included_file_point_at_that_file()
    {
        string main = Schema(Header, """<sbe:message name="M" id="1"><field name="f" id="1" type="T"/></sbe:message>""")
            .Replace("<types>", "<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"types-part.xml\"/><types>", StringComparison.Ordinal);
        string part = """<types><type name="T" primitiveType="int24"/></types>""";
        GeneratorHarness.Result r = GeneratorHarness.Run(("/s/main.xml", main), ("/s/types-part.xml", part));
        Assert.Null(r.Exception);
        Diagnostic d = Assert.Single(r.Diagnostics);
        Assert.Equal("SBE003", d.Id);
        Assert.Equal("/s/types-part.xml", d.Location.GetLineSpan().Path);
        Assert.Contains("types-part.xml", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Car_schema_through_the_driver_generates_code_that_compiles()
    {
        GeneratorHarness.Result r = GeneratorHarness.Run(
            ("/v/example-schema.xml", Conformance.SchemaText("example-schema.xml")),
            ("/v/common-types.xml", Conformance.SchemaText("common-types.xml")));
        Assert.Null(r.Exception);
        Assert.Empty(r.Diagnostics);
        GeneratedSourceResult source = Assert.Single(r.Sources);
        Assert.Contains("namespace Baseline", source.SourceText.ToString(), StringComparison.Ordinal);
        Assert.Empty(GeneratorHarness.CompileErrors(r));
    }

    [Fact]
    public void Namespace_prefix_property_and_forward_encoding_type_references_work()
    {
        string types = Header + """
            <enum name="Side" encodingType="SideChar"><validValue name="Buy">B</validValue></enum>
            <type name="SideChar" primitiveType="char"/>
            """;
        GeneratorHarness.Result r = GeneratorHarness.Run(
            new Dictionary<string, string> { ["build_property.SbeNamespacePrefix"] = "Acme.Wire" },
            ("/p/good.xml", Schema(types, """<sbe:message name="M" id="1"><field name="side" id="1" type="Side"/></sbe:message>""")));
        Assert.Null(r.Exception);
        Assert.Empty(r.Diagnostics);
        string code = Assert.Single(r.Sources).SourceText.ToString();
        Assert.Contains("namespace Acme.Wire.Bad.Schema", code, StringComparison.Ordinal);
        Assert.Contains("public enum Side : byte", code, StringComparison.Ordinal);
        Assert.Empty(GeneratorHarness.CompileErrors(r));
    }

    [Fact]
    public void Group_named_like_a_composite_does_not_shadow_it()
    {
        string types = Header + GroupSize + """<composite name="Leg"><type name="px" primitiveType="int64"/></composite>""";
        string messages = """<sbe:message name="M" id="1"><field name="first" id="1" type="Leg"/><group name="leg" id="2"><field name="other" id="3" type="Leg"/></group></sbe:message>""";
        GeneratorHarness.Result r = GeneratorHarness.Run(("/p/shadow.xml", Schema(types, messages)));
        Assert.Empty(r.Diagnostics);
        Assert.Empty(GeneratorHarness.CompileErrors(r));
    }

    [Fact]
    public void Field_of_a_var_data_type_is_SBE011()
    {
        string v = """<composite name="varStr"><type name="length" primitiveType="uint8"/><type name="varData" primitiveType="uint8" length="0"/></composite>""";
        Diagnostic d = Single(Schema(Header + v, """<sbe:message name="M" id="1"><field name="text" id="1" type="varStr"/></sbe:message>"""), "SBE011");
        Assert.Contains("text", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Non_schema_xml_files_are_ignored()
    {
        GeneratorHarness.Result r = GeneratorHarness.Run(("/x/other.xml", "<config><not-closed></config>"));
        Assert.Null(r.Exception);
        Assert.Empty(r.Diagnostics);
        Assert.Empty(r.Sources);
    }

    /// <summary>
    /// Robustness sweep: remove each attribute of the Car schema in turn. Every variant must give either
    /// SBE diagnostics (never the internal-error SBE099, never an exception) or code that compiles.
    /// </summary>
    [Fact]
    public void Every_single_attribute_removal_yields_a_diagnostic_or_compilable_code()
    {
        string common = Conformance.SchemaText("common-types.xml");
        XDocument original = XDocument.Parse(Conformance.SchemaText("example-schema.xml"));
        int attributes = original.Descendants().SelectMany(e => e.Attributes()).Count(a => !a.IsNamespaceDeclaration);
        int compiled = 0, rejected = 0;
        var compiledSources = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < attributes; i++)
        {
            XDocument doc = new(original);
            XAttribute victim = doc.Descendants().SelectMany(e => e.Attributes()).Where(a => !a.IsNamespaceDeclaration).ElementAt(i);
            string what = $"{victim.Parent!.Name.LocalName}@{victim.Name.LocalName} ({victim.Parent.Attribute("name")?.Value})";
            victim.Remove();
            GeneratorHarness.Result r = GeneratorHarness.Run(("/m/example-schema.xml", doc.ToString()), ("/m/common-types.xml", common));
            Assert.True(r.Exception is null, what);
            Assert.DoesNotContain(r.Diagnostics, d => d.Id == "SBE099");
            if (r.Diagnostics.Length > 0)
            {
                Assert.Empty(r.Sources);
                rejected++;
            }
            else if (compiledSources.Add(Assert.Single(r.Sources).SourceText.ToString()))
            {
                // Identical output (e.g. a removed description) was already compiled once.
                IReadOnlyList<Diagnostic> errors = GeneratorHarness.CompileErrors(r);
                Assert.True(errors.Count == 0, what + ": " + string.Join("; ", errors.Take(3)));
                compiled++;
            }
        }

        Assert.True(rejected > 10, $"only {rejected} variants rejected");
        Assert.True(compiled > 5, $"only {compiled} variants compiled");
    }
}
