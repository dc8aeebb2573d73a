using System.Security.Cryptography;
using Baseline;

namespace Wallet.Sbe.Generator.Tests;

/// <summary>The reference implementation's Car example: decode the 207 golden bytes, and re-encode them exactly.</summary>
public class CarGoldenTests
{
    private const string Sha256 = "0e1649c2f5a2719b2d10c2a9dc6e1aa962d8523fb8c4531052dbdad65528bfe2";

    [Fact]
    public void Golden_file_is_the_one_the_readme_describes()
    {
        byte[] data = Conformance.CarBaseline();
        Assert.Equal(207, data.Length);
        Assert.Equal(Sha256, Convert.ToHexStringLower(SHA256.HashData(data)));
    }

    [Fact]
    public void Schema_constants_match_the_header()
    {
        Assert.Equal(1, BaselineSchema.SchemaId);
        Assert.Equal(0, BaselineSchema.SchemaVersion);
        Assert.Equal(8, BaselineSchema.MessageHeaderLength);
        Assert.Equal("littleEndian", BaselineSchema.ByteOrder);
        Assert.Equal(45, CarDecoder.BlockLength);
        Assert.Equal(1, CarDecoder.TemplateId);
        Assert.Equal(6, FuelFiguresDecoderSize.Entry);
    }

    [Fact]
    public void Decodes_every_value_of_the_golden_car()
    {
        byte[] data = Conformance.CarBaseline();
        var header = new MessageHeaderDecoder(data, 0);
        Assert.Equal(45, header.BlockLength);
        Assert.Equal(1, header.TemplateId);
        Assert.Equal(1, header.SchemaId);
        Assert.Equal(0, header.Version);

        CarDecoder car = CarDecoder.WrapWithHeader(data, 0);
        Assert.Equal(0, car.ActingVersion);
        Assert.Equal(45, car.ActingBlockLength);
        Assert.Equal(1234UL, car.SerialNumber);
        Assert.Equal(2013, car.ModelYear);
        Assert.Equal(BooleanType.T, car.Available);
        Assert.Equal(Model.A, car.Code);
        Assert.Equal(4, CarDecoder.SomeNumbersLength);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal((uint)(i + 1), car.GetSomeNumbers(i));
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => CarDecoder.WrapWithHeader(data, 0).GetSomeNumbers(4));
        Assert.Equal("abcdef", car.GetVehicleCode());
        Assert.Equal("abcdef"u8.ToArray(), car.VehicleCodeBytes.ToArray());
        Assert.Equal((OptionalExtras)6, car.Extras);
        Assert.True(car.Extras.HasFlag(OptionalExtras.CruiseControl));
        Assert.True(car.Extras.HasFlag(OptionalExtras.SportsPack));
        Assert.False(car.Extras.HasFlag(OptionalExtras.SunRoof));
        Assert.Equal(Model.C, car.DiscountedModel);

        EngineDecoder engine = car.Engine;
        Assert.Equal(2000, engine.Capacity);
        Assert.Equal(4, engine.NumCylinders);
        Assert.Equal(9000, engine.MaxRpm);
        Assert.Equal("123", engine.GetManufacturerCode());
        Assert.Equal("Petrol", engine.Fuel);
        Assert.Equal("Petrol"u8.ToArray(), engine.FuelBytes.ToArray());
        Assert.Equal(35, engine.Efficiency);
        Assert.Equal(BooleanType.T, engine.BoosterEnabled);
        Assert.Equal(BoostType.NITROUS, engine.Booster.BoostType);
        Assert.Equal(200, engine.Booster.HorsePower);

        var fuel = car.FuelFigures();
        Assert.Equal(3, fuel.Count);
        var expectedFuel = new (ushort Speed, float Mpg, string Usage)[] { (30, 35.9f, "Urban Cycle"), (55, 49.0f, "Combined Cycle"), (75, 40.0f, "Highway Cycle") };
        int n = 0;
        foreach (var entry in fuel)
        {
            Assert.Equal(expectedFuel[n].Speed, entry.Speed);
            Assert.Equal(expectedFuel[n].Mpg, entry.Mpg);
            Assert.Equal(expectedFuel[n].Usage, entry.GetUsageDescription());
            n++;
        }

        Assert.Equal(3, n);

        var perf = car.PerformanceFigures();
        Assert.Equal(2, perf.Count);
        var expectedPerf = new (byte Octane, (ushort Mph, float Seconds)[] Acc)[]
        {
            (95, new (ushort, float)[] { (30, 4.0f), (60, 7.5f), (100, 12.2f) }),
            (99, new (ushort, float)[] { (30, 3.8f), (60, 7.1f), (100, 11.8f) }),
        };
        n = 0;
        while (perf.MoveNext())
        {
            Assert.Equal(expectedPerf[n].Octane, perf.OctaneRating);
            var acc = perf.Acceleration();
            Assert.Equal(3, acc.Count);
            int k = 0;
            while (acc.MoveNext())
            {
                Assert.Equal(expectedPerf[n].Acc[k].Mph, acc.Mph);
                Assert.Equal(expectedPerf[n].Acc[k].Seconds, acc.Seconds);
                k++;
            }

            Assert.Equal(3, k);
            n++;
        }

        Assert.Equal(2, n);
        Assert.Equal("Honda", car.GetManufacturer());
        Assert.Equal("Civic VTi", car.GetModel());
        Assert.Equal("abcdef", car.GetActivationCode());
        Assert.Equal(207, car.Limit);
        Assert.Equal(199, car.EncodedLength);
    }

    [Fact]
    public void Zero_copy_accessors_read_var_data_without_strings()
    {
        byte[] data = Conformance.CarBaseline();
        CarDecoder car = CarDecoder.WrapWithHeader(data, 0);
        car.FuelFigures().Skip();
        car.PerformanceFigures().Skip();
        Assert.Equal(5, car.ManufacturerLength());
        Assert.Equal("Honda"u8.ToArray(), car.GetManufacturerBytes().ToArray());
        Span<byte> model = stackalloc byte[16];
        int len = car.GetModel(model);
        Assert.Equal("Civic VTi"u8.ToArray(), model[..len].ToArray());
        car.SkipActivationCode();
        Assert.Equal(207, car.Limit);
    }

    [Fact]
    public void Encodes_the_golden_car_byte_for_byte()
    {
        byte[] buffer = new byte[512];
        buffer.AsSpan().Fill(0xAA); // stale bytes must not leak into the message
        CarEncoder car = CarEncoder.WrapAndApplyHeader(buffer, 0);
        car.SerialNumber = 1234;
        car.ModelYear = 2013;
        car.Available = BooleanType.T;
        car.Code = Model.A;
        for (int i = 0; i < 4; i++)
        {
            car.SetSomeNumbers(i, (uint)(i + 1));
        }

        car.SetVehicleCode("abcdef");
        car.Extras = OptionalExtras.CruiseControl | OptionalExtras.SportsPack;
        EngineEncoder engine = car.Engine;
        engine.Capacity = 2000;
        engine.NumCylinders = 4;
        engine.SetManufacturerCode("123"u8);
        engine.Efficiency = 35;
        engine.BoosterEnabled = BooleanType.T;
        BoosterEncoder booster = engine.Booster;
        booster.BoostType = BoostType.NITROUS;
        booster.HorsePower = 200;

        var fuel = car.FuelFiguresCount(3);
        fuel.Next();
        fuel.Speed = 30;
        fuel.Mpg = 35.9f;
        fuel.PutUsageDescription("Urban Cycle");
        fuel.Next();
        fuel.Speed = 55;
        fuel.Mpg = 49.0f;
        fuel.PutUsageDescription("Combined Cycle");
        fuel.Next();
        fuel.Speed = 75;
        fuel.Mpg = 40.0f;
        fuel.PutUsageDescription("Highway Cycle"u8);
        Assert.Throws<InvalidOperationException>(() => CarEncoder.WrapAndApplyHeader(new byte[512], 0).FuelFiguresCount(0).Next());

        var perf = car.PerformanceFiguresCount(2);
        perf.Next();
        perf.OctaneRating = 95;
        var acc = perf.AccelerationCount(3);
        acc.Next();
        acc.Mph = 30;
        acc.Seconds = 4.0f;
        acc.Next();
        acc.Mph = 60;
        acc.Seconds = 7.5f;
        acc.Next();
        acc.Mph = 100;
        acc.Seconds = 12.2f;
        perf.Next();
        perf.OctaneRating = 99;
        acc = perf.AccelerationCount(3);
        acc.Next();
        acc.Mph = 30;
        acc.Seconds = 3.8f;
        acc.Next();
        acc.Mph = 60;
        acc.Seconds = 7.1f;
        acc.Next();
        acc.Mph = 100;
        acc.Seconds = 11.8f;

        car.PutManufacturer("Honda");
        car.PutModel("Civic VTi");
        car.PutActivationCode("abcdef");

        Assert.Equal(207, car.Limit);
        Assert.Equal(Conformance.CarBaseline(), buffer[..car.Limit]);
        Assert.Equal(Sha256, Convert.ToHexStringLower(SHA256.HashData(buffer.AsSpan(0, car.Limit))));
    }
}

internal static class FuelFiguresDecoderSize
{
    public const int Entry = CarDecoder.FuelFiguresDecoder.BlockLength;
}
