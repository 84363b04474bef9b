using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Persistence;
using MlpTools.Core.Tests.Persistence;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Data;

/// <summary>
/// The image shape of a dataset of images travels with it: from the reader (Digits 8x8, IDX files' last two
/// dimensions) through every dataset made from it, to a network made from or trained on it, and into its model file.
/// </summary>
public sealed class ImageShapeTests
{
    private static Dataset Tiny(ImageShape? shape) =>
        Dataset.FromRows(new float[] { 1, 2, 3, 4, 5, 6, 6, 5, 4, 3, 2, 1 }, 2, 6, new[] { 0, 1 }, new[] { "a", "b" }, imageShape: shape);

    [Fact]
    public void Digits_are_8x8_and_IDX_images_take_the_files_last_two_dimensions()
    {
        Assert.Equal(new ImageShape(8, 8), BuiltInDatasets.Digits().ImageShape);
        string dir = Path.Combine(DataTestFiles.Corpus, "idx");
        // ok-images.idx holds 4 samples of 2 x 3.
        Dataset images = IdxReader.Read(Path.Combine(dir, "ok-images.idx"), Path.Combine(dir, "ok-labels.idx"));
        Assert.Equal(new ImageShape(2, 3), images.ImageShape);
        Assert.Null(BuiltInDatasets.Spiral(3, 10, seed: 1).ImageShape);
    }

    [Fact]
    public void An_IDX_file_of_one_dimensional_samples_has_no_image_shape()
    {
        using var folder = new Persistence.TempFolder();
        string images = folder.File("rows.idx"), labels = folder.File("labels.idx");
        File.WriteAllBytes(images, DataTestFiles.Idx(0x08, new[] { 2, 6 }, new byte[12]));
        File.WriteAllBytes(labels, DataTestFiles.Idx(0x08, new[] { 2 }, new byte[] { 0, 1 }));
        Assert.Null(IdxReader.Read(images, labels).ImageShape);
    }

    [Fact]
    public void Every_dataset_made_from_one_keeps_its_shape()
    {
        Dataset data = Tiny(new ImageShape(2, 3));
        var shape = new ImageShape(2, 3);
        Assert.Equal(shape, data.Subset(new[] { 1 }).ImageShape);
        DatasetSplit split = DatasetSplitter.Split(data, 0.5, seed: 1);
        Assert.Equal(shape, split.Train.ImageShape);
        Assert.Equal(shape, split.Test.ImageShape);
        Assert.Equal(shape, Preprocessor.Fit(data, ScalingKind.Standardize).Apply(data).ImageShape);
        // A network whose classes come in another order takes the data relabelled to its own.
        var net = Mlp.Create(6, 2, 2, seed: 1, classNames: new[] { "b", "a" });
        net.EnsureCompatible(data);
        Assert.Equal(shape, net.Accept(data).ImageShape);
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    [InlineData(0, 6)]
    [InlineData(6, -1)]
    public void A_shape_that_does_not_describe_the_features_is_refused(int rows, int columns)
    {
        MlpException e = Assert.Throws<MlpException>(() => Tiny(new ImageShape(rows, columns)));
        Assert.Equal("ImageShapeMismatch", e.ErrorId);
        Assert.Contains(Invariant.Format($"{rows}x{columns}"), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_network_trained_on_images_takes_their_shape_and_its_model_file_keeps_it()
    {
        Dataset digits = BuiltInDatasets.Digits().Subset(Enumerable.Range(0, 100).ToArray());
        var net = Mlp.Create(64, 4, 10, seed: 1);
        Assert.Null(net.ImageShape);
        Trainer.Train(net, digits, new TrainingOptions { Epochs = 1, Seed = 1 });
        Assert.Equal(new ImageShape(8, 8), net.ImageShape);
        Assert.Equal(new ImageShape(8, 8), net.Clone().ImageShape);
        Assert.Equal(new ImageShape(8, 8), net.ToDouble().ImageShape);

        byte[] file = ModelFileFixtures.Bytes(net);
        Assert.Equal("[8,8]", RawModel.Parse(file).Metadata[ModelMetadata.ImageShape]);
        Assert.Equal(new ImageShape(8, 8), ModelFileFixtures.Read(file).Network.ImageShape);
    }

    [Fact]
    public void A_network_that_knows_no_shape_saves_none_and_a_file_without_one_loads()
    {
        var net = Mlp.Create(6, 2, 2, seed: 1);
        byte[] file = ModelFileFixtures.Bytes(net);
        Assert.False(RawModel.Parse(file).Metadata.ContainsKey(ModelMetadata.ImageShape));
        Assert.Null(ModelFileFixtures.Read(file).Network.ImageShape);
    }

    [Theory]
    [InlineData("[8,7]", "56 pixels")]
    [InlineData("[8]", "not 2")]
    [InlineData("[8,\"8\"]", "not a whole number")]
    [InlineData("[0,64]", "not a whole number")]
    [InlineData("{\"rows\":8}", "a list of two sizes")]
    public void A_damaged_image_shape_in_a_model_file_is_refused(string value, string said)
    {
        var net = Mlp.Create(64, 2, 2, seed: 1);
        RawModel raw = RawModel.Parse(ModelFileFixtures.Bytes(net));
        raw.Metadata[ModelMetadata.ImageShape] = value;
        MlpException e = Assert.Throws<MlpException>(() => ModelFileFixtures.Read(raw.Build()));
        Assert.Equal("ModelMetadataInvalid", e.ErrorId);
        Assert.Contains("mlptools.image_shape", e.Message, StringComparison.Ordinal);
        Assert.Contains(said, e.Message, StringComparison.Ordinal);
    }
}
