using MlpTools.Core.Data;

namespace MlpTools.Core.Tests.Data;

/// <summary><see cref="IdxReader.IsIdx"/>: how Import-Dataset tells an IDX file from delimited text without -LabelPath.</summary>
public class IdxDetectionTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_idx_file_is_recognised_raw_or_gzip_whatever_its_name(bool gzip)
    {
        using var dir = new TempFolder();
        byte[] idx = DataTestFiles.Idx(0x08, new[] { 2, 2 }, new byte[] { 1, 2, 3, 4 });
        Assert.True(IdxReader.IsIdx(dir.Write("images.csv", gzip ? DataTestFiles.Gzip(idx) : idx)));
    }

    [Theory]
    [InlineData("a,b,label\n1,2,x\n")]
    [InlineData("")]
    [InlineData("\0\0")]
    public void Text_and_short_or_unknown_headers_are_not_idx(string text)
    {
        using var dir = new TempFolder();
        Assert.False(IdxReader.IsIdx(dir.Write("data.csv", text)));
        Assert.False(IdxReader.IsIdx(dir.Write("data.csv.gz", DataTestFiles.Gzip(System.Text.Encoding.UTF8.GetBytes(text)))));
        Assert.False(IdxReader.IsIdx(dir.Write("typo.idx", new byte[] { 0, 0, 0x07, 1, 0, 0, 0, 1, 5 })));
        Assert.False(IdxReader.IsIdx(dir.Write("rank0.idx", new byte[] { 0, 0, 0x08, 0 })));
    }

    [Fact]
    public void A_missing_file_is_DataFileNotFound()
    {
        using var dir = new TempFolder();
        Assert.Equal("DataFileNotFound", Assert.Throws<MlpException>(() => IdxReader.IsIdx(Path.Combine(dir.Path, "none.idx"))).ErrorId);
    }
}
