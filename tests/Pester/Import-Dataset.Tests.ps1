BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
}

Describe 'Import-Dataset' {
    Context 'Digits' {
        BeforeAll {
            $digits = Import-Dataset -Name Digits
        }

        It 'is one Dataset object, not a stream of rows' {
            @(Import-Dataset -Name Digits).Count | Should -Be 1
            (Import-Dataset -Name Digits | Measure-Object).Count | Should -Be 1
            $digits | Should -BeOfType ([MlpTools.Core.Data.Dataset])
        }

        It 'holds 1,797 samples of 64 pixels and 10 classes' {
            $digits.Name | Should -Be 'Digits'
            $digits.Count | Should -Be 1797
            $digits.FeatureCount | Should -Be 64
            $digits.ClassCount | Should -Be 10
            $digits.FeatureNames[9] | Should -Be 'pixel_1_1'
        }

        It 'has pixels scaled to [0,1]' {
            $values = $digits.Features.ToColumnMajorArray()
            [Linq.Enumerable]::Min([double[]]$values) | Should -Be 0
            [Linq.Enumerable]::Max([double[]]$values) | Should -Be 1
        }

        It 'credits its authors in its metadata' {
            $digits.Attribution | Should -Match 'Alpaydin'
            $digits.Attribution | Should -Match 'CC BY 4\.0'
            $digits.Source | Should -Match 'Optical Recognition of Handwritten Digits'
        }

        It 'takes the name by position and in any case' {
            (Import-Dataset digits).Count | Should -Be 1797
        }
    }

    Context 'Spiral' {
        It 'has ClassCount arms of SamplesPerClass points in the plane' {
            $spiral = Import-Dataset -Name Spiral -ClassCount 4 -SamplesPerClass 25 -Seed 1
            $spiral.Count | Should -Be 100
            $spiral.FeatureCount | Should -Be 2
            $spiral.ClassCount | Should -Be 4
            $spiral.ClassCounts() | Should -Be @(25, 25, 25, 25)
        }

        It 'defaults to 3 arms of 100 points' {
            $spiral = Import-Dataset -Name Spiral -Seed 1
            $spiral.Count | Should -Be 300
            $spiral.ClassCount | Should -Be 3
        }

        It 'is the same for the same seed and differs for another' {
            $a = Import-Dataset -Name Spiral -Seed 7
            $b = Import-Dataset -Name Spiral -Seed 7
            $c = Import-Dataset -Name Spiral -Seed 8
            $a.Features.Equals($b.Features) | Should -BeTrue
            $a.Features.Equals($c.Features) | Should -BeFalse
        }
    }

    Context 'Bad parameters' {
        It 'rejects an unknown name, naming the built-ins' {
            $err = { Import-Dataset -Name Iris } | Should -Throw -ErrorId 'UnknownDataset,MlpTools.Commands.ImportDatasetCommand' -PassThru
            $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $err.Exception.Message | Should -Match 'Digits, Spiral'
            $err.TargetObject | Should -Be 'Iris'
        }

        It 'rejects Spiral-only parameters with Digits' {
            $err = { Import-Dataset -Name Digits -SamplesPerClass 5 } |
                Should -Throw -ErrorId 'ParameterNotApplicable,MlpTools.Commands.ImportDatasetCommand' -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err.Exception.Message | Should -Match '-SamplesPerClass'
        }

        It 'rejects -<Parameter> <Value>' -TestCases @(
            @{ Parameter = 'ClassCount'; Value = 0; Id = 'InvalidClassCount' }
            @{ Parameter = 'SamplesPerClass'; Value = -1; Id = 'InvalidSamplesPerClass' }
        ) {
            $splat = @{ Name = 'Spiral'; $Parameter = $Value }
            $err = { Import-Dataset @splat } | Should -Throw -ErrorId "$Id,MlpTools.Commands.ImportDatasetCommand" -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err.Exception.Message | Should -Match "$Parameter must be a positive whole number, but it is $Value"
        }
    }

    Context 'CSV and TSV files' {
        BeforeAll {
            function Get-Id([string] $Id) { "$Id,MlpTools.Commands.ImportDatasetCommand" }
            # Writes text as exact bytes: UTF-8, with a byte-order mark when asked, lines joined by $NewLine.
            function Write-TextFile([string] $Path, [string[]] $Lines, [string] $NewLine = "`n", [switch] $Bom) {
                $bytes = [Text.Encoding]::UTF8.GetBytes(($Lines -join $NewLine) + $NewLine)
                if ($Bom) { $bytes = [byte[]](0xEF, 0xBB, 0xBF) + $bytes }
                [IO.File]::WriteAllBytes($Path, $bytes)
            }
            # Two well-separated classes per species in two features, as another tool would write them:
            # a BOM, CRLF line ends, a quoted header with spaces, quoted string labels.
            $otherTool = Join-Path $TestDrive 'other-tool.csv'
            $lines = @('"sepal length","petal width","species"')
            for ($i = 0; $i -lt 60; $i++) {
                $k = $i % 3
                $lines += '{0},{1},"{2}"' -f (1 + 3 * $k + ($i % 5) / 10), (0.5 + 2 * $k + ($i % 4) / 10), ('virginica', 'setosa', 'versicolor')[$k]
            }
            Write-TextFile $otherTool $lines -NewLine "`r`n" -Bom
        }

        It 'reads a CSV written by another tool (BOM, CRLF, quoted header, string labels) as it is, and trains on it' {
            $raw = [IO.File]::ReadAllBytes($otherTool)
            $raw[0..2] | Should -Be @(0xEF, 0xBB, 0xBF)
            [Text.Encoding]::UTF8.GetString($raw) | Should -Match '"species"\r\n1,0.5,"virginica"\r\n'

            $data = Import-Dataset -Path $otherTool
            $data.Count | Should -Be 60
            $data.FeatureNames | Should -Be @('sepal length', 'petal width')
            $data.ClassNames | Should -Be @('setosa', 'versicolor', 'virginica')   # ordinal order
            $data.Labels[0..2] | Should -Be @(2, 0, 1)
            $data.Features[0, 0] | Should -Be 1
            $data.Features[1, 1] | Should -Be 2.6
            $data.Name | Should -Be 'other-tool'

            $net = $data | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 60 -Seed 1
            ($net | Test-Mlp).Accuracy | Should -BeGreaterOrEqual 0.9
            $net.ClassNames | Should -Be @('setosa', 'versicolor', 'virginica')
        }

        It 'keeps integer labels as they are: label k is class k' {
            $file = Join-Path $TestDrive 'ints.csv'
            Write-TextFile $file 'a,b,label', '1,2,2', '3,4,0', '5,6,2'
            $data = Import-Dataset -Path $file
            $data.ClassNames | Should -Be @('0', '1', '2')
            $data.Labels | Should -Be @(2, 0, 2)
        }

        It 'takes the label column by name or by index, and the features by name or index in the order given' {
            $byName = Import-Dataset -Path $otherTool -LabelColumn species -FeatureColumn 'petal width', 'sepal length'
            $byName.FeatureNames | Should -Be @('petal width', 'sepal length')
            $byIndex = Import-Dataset -Path $otherTool -LabelColumn 2 -FeatureColumn 1, 0
            $byIndex.Features.Equals($byName.Features) | Should -BeTrue
            $byIndex.Labels | Should -Be $byName.Labels
            $labelFirst = Import-Dataset -Path $otherTool -LabelColumn 0 -FeatureColumn 1
            $labelFirst.ClassNames.Count | Should -BeGreaterThan 3   # sepal length as the label: whatever it holds
        }

        It 'reads a file without a header with -NoHeader, and forces one with -Header' {
            $file = Join-Path $TestDrive 'numbers.csv'
            Write-TextFile $file '1,2,0', '3,4,1', '5,6,0'
            (Import-Dataset -Path $file).Count | Should -Be 3                    # detected: no header
            $none = Import-Dataset -Path $file -NoHeader
            $none.Count | Should -Be 3
            $none.FeatureNames | Should -Be @('x0', 'x1')
            $forced = Import-Dataset -Path $file -Header
            $forced.Count | Should -Be 2
            $forced.FeatureNames | Should -Be @('1', '2')
        }

        It 'reads TSV by its extension and any delimiter with -Delimiter' {
            $tsv = Join-Path $TestDrive 'points.tsv'
            Write-TextFile $tsv "x`ty`tclass", "0.5`t1.5`t1", "2.5`t3.5`t0"
            (Import-Dataset -Path $tsv).Features[1, 1] | Should -Be 3.5
            $semi = Join-Path $TestDrive 'points.txt'
            Write-TextFile $semi 'x;y;class', '0.5;1.5;1', '2.5;3.5;0'
            $data = Import-Dataset -Path $semi -Delimiter ';'
            $data.FeatureNames | Should -Be @('x', 'y')
            $data.Features[0, 1] | Should -Be 1.5
        }

        It 'parses numbers with the invariant culture whatever the current culture' {
            $saved = [cultureinfo]::CurrentCulture
            try {
                [cultureinfo]::CurrentCulture = [cultureinfo]::GetCultureInfo('de-DE')
                $file = Join-Path $TestDrive 'decimals.csv'
                Write-TextFile $file 'a,label', '1.25,x', '2.5,y'
                (Import-Dataset -Path $file).Features[0, 0] | Should -Be 1.25
            }
            finally { [cultureinfo]::CurrentCulture = $saved }
        }

        It 'stops on a malformed file (<Id>) with the engine''s id, InvalidData, and the file, line and column' -TestCases @(
            @{ Id = 'CsvInvalidNumber'; Lines = @('a,b,label', '1,2,x', '3,abc,y'); Where = 'line 3, column 2' }
            @{ Id = 'CsvMissingValue'; Lines = @('a,b,label', '1,,x', '3,4,y'); Where = 'line 2, column 2' }
            @{ Id = 'CsvRaggedRow'; Lines = @('a,b,label', '1,2,x', '3,4,5,y'); Where = 'line 3' }
            @{ Id = 'CsvMissingLabel'; Lines = @('a,b,label', '1,2,x', '3,4,'); Where = 'line 3, column 3' }
            @{ Id = 'CsvUnterminatedQuote'; Lines = @('a,b,label', '1,2,x', '3,4,"y'); Where = 'line 3' }
        ) {
            $file = Join-Path $TestDrive "$Id.csv"
            Write-TextFile $file $Lines
            $err = { Import-Dataset -Path $file } | Should -Throw -ErrorId (Get-Id $Id) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidData'
            $err.Exception.Message | Should -BeLike "*$file*"
            $err.Exception.Message | Should -BeLike "*$Where*"
        }

        It 'refuses IDX-only -NoScaling, and -Header with -NoHeader' {
            $err = { Import-Dataset -Path $otherTool -NoScaling } | Should -Throw -ErrorId (Get-Id ParameterNotApplicable) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err.Exception.Message | Should -Match '-NoScaling'
            { Import-Dataset -Path $otherTool -Header -NoHeader } | Should -Throw -ErrorId (Get-Id ConflictingParameters)
        }

        It 'names a missing column, listing the ones there are' {
            $err = { Import-Dataset -Path $otherTool -LabelColumn Species2 } | Should -Throw -ErrorId (Get-Id CsvLabelColumnNotFound) -PassThru
            $err.Exception.Message | Should -Match "'sepal length', 'petal width', 'species'"
        }
    }

    Context 'IDX files' {
        BeforeAll {
            function Get-Id([string] $Id) { "$Id,MlpTools.Commands.ImportDatasetCommand" }
            # An IDX file: magic 00 00 <type> <dims>, big-endian 32-bit sizes, then the elements.
            function Get-IdxBytes([int[]] $Shape, [byte[]] $Values) {
                $bytes = [Collections.Generic.List[byte]]::new()
                $bytes.AddRange([byte[]](0, 0, 8, $Shape.Count))
                foreach ($size in $Shape) { $b = [BitConverter]::GetBytes([int]$size); [array]::Reverse($b); $bytes.AddRange($b) }
                $bytes.AddRange($Values)
                , $bytes.ToArray()
            }
            function Write-Gzip([string] $Path, [byte[]] $Bytes) {
                $file = [IO.File]::Create($Path)
                try {
                    $gzip = [IO.Compression.GZipStream]::new($file, [IO.Compression.CompressionLevel]::Optimal)
                    $gzip.Write($Bytes, 0, $Bytes.Length)
                    $gzip.Dispose()
                }
                finally { $file.Dispose() }
            }
            # Three 2x2 images and their labels.
            $imageBytes = Get-IdxBytes -Shape 3, 2, 2 -Values (0, 255, 51, 102, 255, 0, 0, 255, 1, 2, 3, 4)
            $labelBytes = Get-IdxBytes -Shape 3 -Values (1, 0, 2)
            $images = Join-Path $TestDrive 'images.idx'
            $labels = Join-Path $TestDrive 'labels.idx'
            [IO.File]::WriteAllBytes($images, $imageBytes)
            [IO.File]::WriteAllBytes($labels, $labelBytes)
        }

        It 'reads an images file and its labels: one row per image, bytes scaled to [0,1]' {
            $data = Import-Dataset -Path $images -LabelPath $labels
            $data.Count | Should -Be 3
            $data.FeatureCount | Should -Be 4
            $data.FeatureNames | Should -Be @('pixel_0_0', 'pixel_0_1', 'pixel_1_0', 'pixel_1_1')
            $data.Labels | Should -Be @(1, 0, 2)
            $data.ClassNames | Should -Be @('0', '1', '2')
            $data.Features[0, 1] | Should -Be 1
            $data.Features[0, 2] | Should -Be ([double][float](51 / 255))
        }

        It 'keeps the raw byte values with -NoScaling' {
            $data = Import-Dataset -Path $images -LabelPath $labels -NoScaling
            $data.Features.Row(0).ToArray() | Should -Be @(0, 255, 51, 102)
            $data.Features.Row(2).ToArray() | Should -Be @(1, 2, 3, 4)
        }

        It 'recognises gzip by content, whatever the file is called' {
            $gzImages = Join-Path $TestDrive 'images.bin'
            $gzLabels = Join-Path $TestDrive 'labels.bin'
            Write-Gzip $gzImages $imageBytes
            Write-Gzip $gzLabels $labelBytes
            $data = Import-Dataset -Path $gzImages -LabelPath $gzLabels -NoScaling
            $data.Features.Equals((Import-Dataset -Path $images -LabelPath $labels -NoScaling).Features) | Should -BeTrue
        }

        It 'names the classes with -ClassName, and the names travel into the network and its file' {
            $data = Import-Dataset -Path $images -LabelPath $labels -ClassName cat, dog, bird
            $data.ClassNames | Should -Be @('cat', 'dog', 'bird')
            $net = $data | New-Mlp -HiddenSize 3 -Seed 1
            $net.ClassNames | Should -Be @('cat', 'dog', 'bird')
            $file = Join-Path $TestDrive 'named.safetensors'
            Export-Mlp -Network $net -Path $file
            (Import-Mlp -Path $file).ClassNames | Should -Be @('cat', 'dog', 'bird')
            { Import-Dataset -Path $images -LabelPath $labels -ClassName cat, dog } | Should -Throw -ErrorId (Get-Id IdxLabelOutOfRange)
            { Import-Dataset -Path $images -LabelPath $labels -ClassName cat, cat, dog } | Should -Throw -ErrorId (Get-Id InvalidClassNames)
        }

        It 'asks for -LabelPath when an IDX file is given alone' {
            $err = { Import-Dataset -Path $images } | Should -Throw -ErrorId (Get-Id IdxLabelPathRequired) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err.Exception.Message | Should -Match '-LabelPath'
        }

        It 'refuses CSV-only parameters with an IDX pair' {
            $err = { Import-Dataset -Path $images -LabelPath $labels -LabelColumn 0 -NoHeader } |
                Should -Throw -ErrorId (Get-Id ParameterNotApplicable) -PassThru
            $err.Exception.Message | Should -Match '-LabelColumn, -NoHeader do not apply to an IDX pair'
        }

        It 'stops on a damaged file (<Id>) with the engine''s id, InvalidData, naming the file' -TestCases @(
            @{ Id = 'IdxTruncated'; Damage = { param($b) $b[0..($b.Length - 3)] }; Which = 'images' }
            @{ Id = 'IdxTrailingData'; Damage = { param($b) $b + [byte[]](7) }; Which = 'images' }
            @{ Id = 'IdxBadMagic'; Damage = { param($b) [byte[]](1) + $b[1..($b.Length - 1)] }; Which = 'images' }
            @{ Id = 'IdxCountMismatch'; Damage = { param($b) Get-IdxBytes -Shape 2 -Values (0, 1) }; Which = 'labels' }
        ) {
            $damaged = Join-Path $TestDrive "damaged-$Id.idx"
            $source = if ($Which -eq 'images') { $imageBytes } else { $labelBytes }
            [IO.File]::WriteAllBytes($damaged, [byte[]](& $Damage $source))
            $splat = if ($Which -eq 'images') { @{ Path = $damaged; LabelPath = $labels } } else { @{ Path = $images; LabelPath = $damaged } }
            $err = { Import-Dataset @splat } | Should -Throw -ErrorId (Get-Id $Id) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidData'
            $err.Exception.Message | Should -BeLike "*$damaged*"
        }
    }

    Context 'Paths' {
        BeforeAll {
            function Get-Id([string] $Id) { "$Id,MlpTools.Commands.ImportDatasetCommand" }
            $null = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'paths')
            $plain = Join-Path $TestDrive 'paths/plain.csv'
            $bracketed = Join-Path $TestDrive 'paths/with[brackets].csv'
            foreach ($file in $plain, $bracketed) { [IO.File]::WriteAllText($file, "a,label`n1,x`n2,y`n") }
        }

        It 'resolves a relative path against the PowerShell location, not the process''s directory' {
            Push-Location (Join-Path $TestDrive 'paths')
            try { (Import-Dataset -Path plain.csv).Source | Should -Be ([IO.Path]::GetFullPath($plain)) }
            finally { Pop-Location }
        }

        It 'resolves PowerShell drives' {
            (Import-Dataset -Path 'TestDrive:/paths/plain.csv').Count | Should -Be 2
        }

        It 'takes -LiteralPath as written, and -Path wildcards that match one file' {
            (Import-Dataset -LiteralPath $bracketed).Count | Should -Be 2
            (Import-Dataset -Path (Join-Path $TestDrive 'paths/pl*.csv')).Name | Should -Be 'plain'
        }

        It 'takes files piped from Get-Item or Get-ChildItem' {
            (Get-Item -LiteralPath $bracketed | Import-Dataset).Name | Should -Be 'with[brackets]'
            @(Get-ChildItem -Path (Join-Path $TestDrive 'paths') -Filter *.csv | Import-Dataset).Count | Should -Be 2
        }

        It 'reports a missing file as ObjectNotFound' {
            $err = { Import-Dataset -Path (Join-Path $TestDrive 'nope.csv') } | Should -Throw -ErrorId (Get-Id DataFileNotFound) -PassThru
            $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $err.Exception.Message | Should -Match 'nope\.csv'
            { Import-Dataset -LiteralPath (Join-Path $TestDrive 'nope.csv') } | Should -Throw -ErrorId (Get-Id DataFileNotFound)
        }

        It 'stops on a missing file given alone, as Import-Mlp does, so try/catch catches it' {
            $ErrorActionPreference = 'Continue'    # a shell's default, under which only a terminating error reaches catch
            $caught = $null
            try { $null = Import-Dataset -Path (Join-Path $TestDrive 'nope.csv') 2>$null } catch { $caught = $_ }
            $caught.FullyQualifiedErrorId | Should -Be (Get-Id DataFileNotFound)
        }

        It 'reports a missing or malformed file among piped files as a non-terminating error, as Import-Mlp does, and reads the rest' {
            $bad = Join-Path $TestDrive 'paths-bad.csv'
            [IO.File]::WriteAllText($bad, "a,label`n1,x`n2`n")
            $missing = [pscustomobject]@{ PSPath = (Join-Path $TestDrive 'nope.csv') }
            $read = @((Get-Item -LiteralPath $plain), $missing, (Get-Item -LiteralPath $bad), (Get-Item -LiteralPath $bracketed) |
                Import-Dataset -ErrorVariable problems -ErrorAction SilentlyContinue)
            $read.Name | Should -Be @('plain', 'with[brackets]')
            $problems.Count | Should -Be 2
            $problems[0].FullyQualifiedErrorId | Should -Be (Get-Id DataFileNotFound)
            $problems[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $problems[0].Exception.Message | Should -Match 'nope\.csv'
            $problems[1].CategoryInfo.Category | Should -Be 'InvalidData'
            $problems[1].Exception.Message | Should -Match 'paths-bad\.csv'
            { $missing, (Get-Item -LiteralPath $plain) | Import-Dataset -ErrorAction Stop } | Should -Throw -ErrorId (Get-Id DataFileNotFound)
        }

        It 'stops on a parameter error even when files are piped' {
            { Get-Item -LiteralPath $plain, $bracketed | Import-Dataset -Header -NoHeader } | Should -Throw -ErrorId (Get-Id ConflictingParameters)
        }

        It 'refuses a wildcard that matches several files' {
            $err = { Import-Dataset -Path (Join-Path $TestDrive 'paths/*.csv') } | Should -Throw -ErrorId (Get-Id PathAmbiguous) -PassThru
            $err.Exception.Message | Should -Match 'matches 2 files'
        }

        It 'refuses a path of another provider' {
            $err = { Import-Dataset -Path Env:PATH } | Should -Throw -ErrorId (Get-Id NotAFileSystemPath) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err.Exception.Message | Should -Match 'Environment provider'
        }

        It 'reads an existing file given by position, with or without file options' {
            Push-Location (Join-Path $TestDrive 'paths')
            try {
                $data = Import-Dataset plain.csv
                $data.Name | Should -Be 'plain'
                $data.Count | Should -Be 2
                (Import-Dataset plain.csv -LabelColumn label).FeatureNames | Should -Be @('a')
                (Import-Dataset ./plain.csv).Count | Should -Be 2
            }
            finally { Pop-Location }
        }

        It 'keeps the built-in names first, and names them when a positional argument is neither' {
            Push-Location (Join-Path $TestDrive 'paths')
            try {
                [IO.File]::WriteAllText((Join-Path $PWD 'Spiral'), "a,label`n1,x`n")
                (Import-Dataset Spiral -Seed 1).Count | Should -Be 300
                $err = { Import-Dataset nothing.csv } | Should -Throw -ErrorId (Get-Id UnknownDataset) -PassThru
                $err.Exception.Message | Should -Match 'Digits'
            }
            finally { Pop-Location }
        }
    }

    Context 'Files with a preamble, named columns and classes, and piped text' {
        BeforeAll {
            function Get-Id([string] $Id) { "$Id,MlpTools.Commands.ImportDatasetCommand" }
            # scikit-learn's layout: a first line with the sample count, the feature count and the class names, then
            # the rows without a header, the label (a class number) last.
            $wine = Join-Path $TestDrive 'wine_data.csv'
            $rows = for ($i = 0; $i -lt 178; $i++) { ((1..13 | ForEach-Object { '{0}.{1}' -f ($i % 7 + $_), ($i % 10) }) -join ',') + ',' + ($i % 3) }
            [IO.File]::WriteAllText($wine, "178,13,class_0,class_1,class_2`n" + ($rows -join "`n") + "`n")
            # The same layout as wide as the data: iris's first line is 5 fields, like its rows.
            $iris = Join-Path $TestDrive 'iris.csv'
            $rows = for ($i = 0; $i -lt 150; $i++) { '{0},{1},{2},{3},{4}' -f (5 + $i % 3), 3, 1.5, 0.2, ($i % 3) }
            [IO.File]::WriteAllText($iris, "150,4,setosa,versicolor,virginica`n" + ($rows -join "`n") + "`n")
            $sklearn = '/usr/lib/python3/dist-packages/sklearn/datasets/data'
        }
        # Debian's python3-sklearn, where it is installed (it is not needed otherwise).
        $haveSklearn = Test-Path '/usr/lib/python3/dist-packages/sklearn/datasets/data/wine_data.csv'

        It 'reads scikit-learn''s layout by itself: 178 samples, 13 features, classes class_0..class_2, and says so' {
            $data = Import-Dataset -Path $wine -Verbose 4>&1 | Tee-Object -Variable all | Where-Object { $_ -is [MlpTools.Core.Data.Dataset] }
            $data.Count | Should -Be 178
            $data.FeatureCount | Should -Be 13
            $data.ClassNames | Should -Be @('class_0', 'class_1', 'class_2')
            $data.ClassCounts() | Should -Be @(60, 59, 59)
            $data.Source | Should -Match 'preamble: 178 samples, 13 features, classes class_0, class_1, class_2'
            ($all | Where-Object { $_ -is [Management.Automation.VerboseRecord] }).Message -join ' ' | Should -Match 'Line 1 .* is a preamble'
        }

        It 'reads the layout when the first line is as wide as the rows (iris)' {
            $data = Import-Dataset $iris
            $data.Count | Should -Be 150
            $data.FeatureCount | Should -Be 4
            $data.ClassNames | Should -Be @('setosa', 'versicolor', 'virginica')
        }

        It 'reads a first line of counts that the rows do not bear out as it always did' {
            # Three rows follow a line that promises five: the line is data.
            $file = Join-Path $TestDrive 'counts.csv'
            [IO.File]::WriteAllText($file, "5,2,1`n1,2,0`n3,4,1`n")
            $data = Import-Dataset $file
            $data.Count | Should -Be 3
            $data.Source | Should -Not -Match 'preamble'
            # Two rows follow a line that promises two, but their labels are not class numbers: the line is data again.
            $file = Join-Path $TestDrive 'labelled.csv'
            [IO.File]::WriteAllText($file, "2,2,tag`n0.5,1,x`n1.5,2,y`n")
            $data = Import-Dataset $file
            $data.Count | Should -Be 3
            $data.ClassNames | Should -Be @('tag', 'x', 'y')
        }

        It 'reads scikit-learn''s own wine, breast cancer and iris files' -Skip:(-not $haveSklearn) {
            $w = Import-Dataset -Path (Join-Path $sklearn 'wine_data.csv')
            @($w.Count, $w.FeatureCount) | Should -Be @(178, 13)
            $w.ClassNames | Should -Be @('class_0', 'class_1', 'class_2')
            $b = Import-Dataset -Path (Join-Path $sklearn 'breast_cancer.csv')
            @($b.Count, $b.FeatureCount) | Should -Be @(569, 30)
            $b.ClassNames | Should -Be @('malignant', 'benign')
            (Import-Dataset -Path (Join-Path $sklearn 'iris.csv')).ClassNames | Should -Be @('setosa', 'versicolor', 'virginica')
        }

        It 'skips leading lines with -SkipLines, counting lines as the file does' {
            $file = Join-Path $TestDrive 'titled.csv'
            [IO.File]::WriteAllText($file, "Measurements of 2026`n""a note, with a quote`n`na,b,label`n1,2,x`n3,oops,y`n")
            $err = { Import-Dataset $file -SkipLines 3 } | Should -Throw -ErrorId (Get-Id CsvInvalidNumber) -PassThru
            $err.Exception.Message | Should -Match 'line 6, column 2'
            $file2 = Join-Path $TestDrive 'titled2.csv'
            [IO.File]::WriteAllText($file2, "Measurements of 2026`n`na,b,label`n1,2,x`n3,4,y`n")
            $data = Import-Dataset $file2 -SkipLines 1
            $data.FeatureNames | Should -Be @('a', 'b')
            $data.Count | Should -Be 2
            { Import-Dataset $file2 -SkipLines 9 } | Should -Throw -ErrorId (Get-Id CsvEmptyFile)
            { Import-Dataset $file2 -SkipLines -1 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,MlpTools.Commands.ImportDatasetCommand'
        }

        It 'names the columns of a file without a header with -ColumnName, or replaces its header with -Header' {
            $file = Join-Path $TestDrive 'bare.csv'
            [IO.File]::WriteAllText($file, "1,2,0`n3,4,1`n")
            $data = Import-Dataset $file -ColumnName height, width, kind
            $data.FeatureNames | Should -Be @('height', 'width')
            $data.Count | Should -Be 2
            (Import-Dataset $file -ColumnName height, width, kind -LabelColumn height).FeatureNames | Should -Be @('width', 'kind')
            (Import-Dataset $wine -SkipLines 1 -ColumnName ((1..13 | ForEach-Object { "f$_" }) + 'class')).FeatureNames[12] | Should -Be 'f13'
            $headed = Join-Path $TestDrive 'headed.csv'
            [IO.File]::WriteAllText($headed, "p,q,r`n1,2,0`n")
            (Import-Dataset $headed -Header -ColumnName a, b, c).FeatureNames | Should -Be @('a', 'b')
            $err = { Import-Dataset $file -ColumnName a, b } | Should -Throw -ErrorId (Get-Id CsvColumnNamesMismatch) -PassThru
            $err.Exception.Message | Should -Match '2 column names were given, but .* has 3 columns'
        }

        It 'names the classes with -ClassName: class numbers by position, text labels in the order given' {
            $file = Join-Path $TestDrive 'numbered.csv'
            [IO.File]::WriteAllText($file, "a,label`n1,0`n2,2`n3,1`n")
            $data = Import-Dataset $file -ClassName low, mid, high
            $data.ClassNames | Should -Be @('low', 'mid', 'high')
            $data.Labels | Should -Be @(0, 2, 1)
            $text = Join-Path $TestDrive 'worded.csv'
            [IO.File]::WriteAllText($text, "a,label`n1,high`n2,low`n3,mid`n")
            $data = Import-Dataset $text -ClassName low, mid, high
            $data.Labels | Should -Be @(2, 0, 1)
            (Import-Dataset $wine -ClassName red, white, rose).ClassNames | Should -Be @('red', 'white', 'rose')
            { Import-Dataset $file -ClassName low, mid } | Should -Throw -ErrorId (Get-Id LabelOutOfRange)
            $err = { Import-Dataset $text -ClassName low, middle, high } | Should -Throw -ErrorId (Get-Id LabelNotAClassName) -PassThru
            $err.Exception.Message | Should -Match "'mid'.*'low', 'middle', 'high'"
            { Import-Dataset $file -ClassName low, low, high } | Should -Throw -ErrorId (Get-Id InvalidClassNames)
            { Import-Dataset $file -ClassName low, ' ', high } | Should -Throw -ErrorId (Get-Id InvalidClassNames)
        }

        It 'says what a file that is not text looks like: a model file points to Import-Mlp' {
            $model = Join-Path $TestDrive 'model.safetensors'
            Import-Dataset -Name Spiral -Seed 1 | New-Mlp -HiddenSize 3 -Seed 1 | Export-Mlp -Path $model
            $err = { Import-Dataset -Path $model } | Should -Throw -ErrorId (Get-Id DataFileWrongKind) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidData'
            $err.Exception.Message | Should -Match "is not delimited text: it looks like a safetensors file\. A model file, as Export-Mlp writes one, is loaded with Import-Mlp"
            $zip = Join-Path $TestDrive 'sheet.xlsx'
            [IO.File]::WriteAllBytes($zip, [byte[]](0x50, 0x4B, 3, 4) + [byte[]]::new(40))
            $err = { Import-Dataset -Path $zip } | Should -Throw -ErrorId (Get-Id DataFileWrongKind) -PassThru
            $err.Exception.Message | Should -Match 'ZIP archive.*saved as CSV'
        }

        It 'adds the PowerShell hint to the engine''s message: Import-Mlp for a model file only, -Delimiter for one column' {
            $model = Join-Path $TestDrive 'hinted.safetensors'
            Import-Dataset -Name Spiral -Seed 1 | New-Mlp -HiddenSize 3 -Seed 1 | Export-Mlp -Path $model
            $err = { Import-Dataset -Path $model } | Should -Throw -ErrorId (Get-Id DataFileWrongKind) -PassThru
            $err.Exception.InnerException.Message | Should -Match 'it looks like a safetensors file\.$'
            $png = Join-Path $TestDrive 'picture.png'
            [IO.File]::WriteAllBytes($png, [byte[]](0x89, 0x50, 0x4E, 0x47, 13, 10, 26, 10, 0, 0, 0, 13))
            $err = { Import-Dataset -Path $png } | Should -Throw -ErrorId (Get-Id DataFileWrongKind) -PassThru
            $err.Exception.Message | Should -Match 'it looks like a PNG image'
            $err.Exception.Message | Should -Not -Match 'Import-Mlp'

            $semi = Join-Path $TestDrive 'semi-hint.csv'
            Set-Content -LiteralPath $semi -Value 'a;b;label', '1;2;x', '3;4;y'
            $err = { Import-Dataset -Path $semi } | Should -Throw -ErrorId (Get-Id CsvTooFewColumns) -PassThru
            $err.Exception.Message | Should -Match "contains a ';', tab, ',' or '\|': set Delimiter to the right one\. Import-Dataset takes the delimiter as -Delimiter\.$"
            $err.Exception.InnerException.Message | Should -Not -Match '-Delimiter'
        }

        It 'reads text piped from Get-Content, so a file can be fixed on the way in' {
            $data = Get-Content $wine | Select-Object -Skip 1 | Import-Dataset -ColumnName ((1..13 | ForEach-Object { "f$_" }) + 'class') -SourceName wine_data.csv
            $data.Count | Should -Be 178
            $data.Name | Should -Be 'wine_data'
            $data.FeatureNames[0] | Should -Be 'f1'
            (Get-Content $wine | Import-Dataset).ClassNames | Should -Be @('class_0', 'class_1', 'class_2')
            (Get-Content $wine -Raw | Import-Dataset).Count | Should -Be 178
            @('a;b;label', '1;2;x', '3;4;y') | Import-Dataset | ForEach-Object { $_.FeatureNames } | Should -Be @('a', 'b')
            $err = { 'a,label', '1,x', '2' | Import-Dataset -SourceName typed } | Should -Throw -ErrorId (Get-Id CsvRaggedRow) -PassThru
            $err.Exception.Message | Should -Match "'typed \(piped\)', line 3"
            @() | Import-Dataset | Should -BeNullOrEmpty
            { '', '  ' | Import-Dataset } | Should -Throw -ErrorId (Get-Id CsvEmptyFile)
        }
    }

    Context 'Fashion-MNIST' {
        # Discovery-time: the Debian package fashion-mnist puts the files here; without them these tests are skipped.
        $haveFashion = Test-Path -LiteralPath '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz'

        BeforeAll {
            $fashion = '/usr/share/datasets/fashion-mnist'
            $trainImages = Join-Path $fashion 'train-images-idx3-ubyte.gz'
            $trainLabels = Join-Path $fashion 'train-labels-idx1-ubyte.gz'
            if (Test-Path -LiteralPath $trainImages) {
                $train = Import-Dataset -Path $trainImages -LabelPath $trainLabels
                $test = Import-Dataset -Path (Join-Path $fashion 't10k-images-idx3-ubyte.gz') -LabelPath (Join-Path $fashion 't10k-labels-idx1-ubyte.gz') -NoScaling
            }
            # The first bytes of a gzip file's content, read without MlpTools.
            function Read-GzipPrefix([string] $Path, [int] $Count) {
                $gzip = [IO.Compression.GZipStream]::new([IO.File]::OpenRead($Path), [IO.Compression.CompressionMode]::Decompress)
                try {
                    $buffer = [byte[]]::new($Count)
                    $null = $gzip.ReadAtLeast($buffer, $Count)
                    , $buffer
                }
                finally { $gzip.Dispose() }
            }
        }

        It 'loads train and test: 60000 x 784 and 10000 x 784, 10 classes of equal size' -Skip:(-not $haveFashion) {
            $train.Count | Should -Be 60000
            $train.FeatureCount | Should -Be 784
            $test.Count | Should -Be 10000
            $test.FeatureCount | Should -Be 784
            $train.ClassCounts() | Should -Be (@(6000) * 10)
            $test.ClassCounts() | Should -Be (@(1000) * 10)
            $train.FeatureNames[29] | Should -Be 'pixel_1_1'
        }

        It 'has labels 0..9, the first ones as published' -Skip:(-not $haveFashion) {
            $train.ClassNames | Should -Be @('0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
            $train.Labels[0..9] | Should -Be @(9, 0, 0, 3, 0, 2, 7, 2, 5, 5)
            $test.Labels[0..9] | Should -Be @(9, 2, 1, 1, 6, 1, 4, 6, 5, 7)
        }

        It 'has pixels in [0,1] (scaled) and 0..255 (with -NoScaling), equal to the file''s bytes' -Skip:(-not $haveFashion) {
            # Per-feature minima and ranges over all 60,000 images, without building a 60000 x 784 matrix.
            $range = [MlpTools.Core.Data.Preprocessor]::Fit($train, 'MinMax')
            [Linq.Enumerable]::Min([double[]]@($range.Offsets)) | Should -Be 0
            [Linq.Enumerable]::Max([double[]]@(for ($j = 0; $j -lt 784; $j++) { $range.Offsets[$j] + $range.Scales[$j] })) | Should -Be 1

            $raw = Read-GzipPrefix (Join-Path $fashion 't10k-images-idx3-ubyte.gz') (16 + 2 * 784)
            $first = $test.Subset([int[]](0, 1)).Features
            [Linq.Enumerable]::SequenceEqual($first.Row(0).ToArray(), [double[]]$raw[16..(16 + 783)]) | Should -BeTrue
            [Linq.Enumerable]::SequenceEqual($first.Row(1).ToArray(), [double[]]$raw[(16 + 784)..(16 + 2 * 784 - 1)]) | Should -BeTrue
            [Linq.Enumerable]::Max([double[]]$first.Row(0).ToArray()) | Should -BeLessOrEqual 255

            $rawTrain = Read-GzipPrefix $trainImages (16 + 784)
            $scaled = $train.Subset([int[]](0)).Features.Row(0).ToArray()
            $worst = 0.0
            for ($j = 0; $j -lt 784; $j++) { $worst = [math]::Max($worst, [math]::Abs($scaled[$j] - $rawTrain[16 + $j] / 255)) }
            $worst | Should -BeLessThan 1e-7
        }

        It 'reports throttled progress while it reads, then completes it' -Skip:(-not $haveFashion) {
            $ps = [powershell]::Create()
            try {
                $null = $ps.AddScript('param($m, $i, $l) Import-Module $m; $null = Import-Dataset -Path $i -LabelPath $l').
                    AddArgument($env:MLPTOOLS_MODULE_PATH).AddArgument((Join-Path $fashion 't10k-images-idx3-ubyte.gz')).
                    AddArgument((Join-Path $fashion 't10k-labels-idx1-ubyte.gz'))
                $null = $ps.Invoke()
                $ps.Streams.Error | Should -BeNullOrEmpty
                $records = @($ps.Streams.Progress | Where-Object ActivityId -EQ 2)
                $records.Count | Should -BeGreaterThan 1
                $records.Count | Should -BeLessThan 20    # at most four a second, not one per chunk read
                $records[0].Activity | Should -Be 'Importing t10k-images-idx3-ubyte.gz'
                $records[-1].RecordType | Should -Be 'Completed'
            }
            finally { $ps.Dispose() }
        }

        It 'stops cleanly on Ctrl+C: no error, no dataset' -Skip:(-not $haveFashion) {
            $ps = [powershell]::Create()
            try {
                $null = $ps.AddScript('param($m, $i, $l) Import-Module $m; Import-Dataset -Path $i -LabelPath $l').
                    AddArgument($env:MLPTOOLS_MODULE_PATH).AddArgument($trainImages).AddArgument($trainLabels)
                $async = $ps.BeginInvoke()
                while ($ps.Streams.Progress.Count -eq 0 -and -not $async.IsCompleted) { Start-Sleep -Milliseconds 1 }
                $ps.Stop()   # what Ctrl+C does: StopProcessing, then the engine's next check
                $ps.InvocationStateInfo.State | Should -Be 'Stopped'
                $ps.Streams.Error | Should -BeNullOrEmpty
                $ps.InvocationStateInfo.Reason | Should -BeOfType ([System.Management.Automation.PipelineStoppedException])
                $output = try { $ps.EndInvoke($async) } catch { @() }
                $output | Should -BeNullOrEmpty
            }
            finally { $ps.Dispose() }
        }
    }

    Context 'Command' {
        It 'declares its output type' {
            (Get-Command Import-Dataset).OutputType.Type | Should -Contain ([MlpTools.Core.Data.Dataset])
        }

        It 'completes the built-in names' {
            $line = 'Import-Dataset -Name Sp'
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be 'Spiral'
        }

        It 'completes -Name with every built-in name, and nothing that is none' {
            $line = 'Import-Dataset -Name '
            (TabExpansion2 $line $line.Length).CompletionMatches.CompletionText | Should -Be @('Digits', 'Spiral')
            $line = 'Import-Dataset -Name Foo'
            (TabExpansion2 $line $line.Length).CompletionMatches | Should -BeNullOrEmpty
        }

        It 'shows Name, Count, FeatureCount, ClassCount and Source by default' {
            $text = Import-Dataset -Name Digits | Out-String -Width 200
            $text | Should -Match 'Name\s+Count\s+FeatureCount\s+ClassCount\s+Source'
            $text | Should -Match 'Digits\s+1797\s+64\s+10'
        }
    }

    Context 'Tab completion of columns' {
        BeforeAll {
            # The header's names as a file would give them: one with a space (quoted in the file), one with a quote,
            # one that is a number, and the label. The last row is ragged: the file cannot be read whole.
            $script:Folder = Join-Path $TestDrive 'columns'
            $null = New-Item -ItemType Directory -Path $Folder -Force
            $script:Flowers = Join-Path $Folder 'flowers.csv'
            Set-Content -LiteralPath $Flowers -Value @('"sepal length",sepal_width,"it''s",2020,species', '5.1,3.5,1,2,setosa', '4.9,3.0,1,2,versicolor', '1,2,3')
            $script:AllColumns = @("'sepal length'", 'sepal_width', "'it''s'", "'2020'", 'species')
            Set-Content -LiteralPath (Join-Path $Folder 'points.txt') -Value @('# measured by hand', 'x;y z;label', '1;2;a', '3;4;b')
            Set-Content -LiteralPath (Join-Path $Folder 'semicolons.csv') -Value @('x;y z;label', '1;2;a', '3;4;b')
            Set-Content -LiteralPath (Join-Path $Folder 'numbers.csv') -Value @('1,2,0', '3,4,1')

            function Complete([string] $Line) {
                $errors = $Error.Count
                $matches = (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches
                $Error.Count | Should -Be $errors -Because 'completion says nothing rather than an error'
                return $matches
            }
        }

        It 'offers the columns of the file in -Path for -LabelColumn, quoting the names that need it' {
            $found = Complete "Import-Dataset -Path '$Flowers' -LabelColumn "
            $found.CompletionText | Should -Be $AllColumns
            $found.ListItemText | Should -Be @('sepal length', 'sepal_width', "it's", '2020', 'species')
            $found[4].ToolTip | Should -Be 'Column 4 of flowers.csv'
            $found.ResultType | Select-Object -Unique | Should -Be 'ParameterValue'
        }

        It 'completes what was typed, quoted or not, for -LabelColumn and each -FeatureColumn' {
            (Complete "Import-Dataset -Path '$Flowers' -LabelColumn sp").CompletionText | Should -Be 'species'
            (Complete "Import-Dataset -Path '$Flowers' -LabelColumn 'sep").CompletionText | Should -Be @("'sepal length'", 'sepal_width')
            (Complete "Import-Dataset -Path '$Flowers' -LabelColumn 'sepal l").CompletionText | Should -Be "'sepal length'"
            (Complete "Import-Dataset -Path '$Flowers' -FeatureColumn SEPAL_").CompletionText | Should -Be 'sepal_width'
            (Complete "Import-Dataset -Path '$Flowers' -FeatureColumn sepal_width, it").CompletionText | Should -Be "'it''s'"
            (Complete "Import-Dataset -Path '$Flowers' -FeatureColumn 20").CompletionText | Should -Be "'2020'"
            Complete "Import-Dataset -Path '$Flowers' -LabelColumn nothing" | Should -BeNullOrEmpty
        }

        It 'finds the file the way the command does: -LiteralPath, by position, relative to the current location, a wildcard matching one file' {
            (Complete "Import-Dataset -LiteralPath '$Flowers' -LabelColumn ").CompletionText | Should -Be $AllColumns
            (Complete "Import-Dataset '$Flowers' -FeatureColumn ").CompletionText | Should -Be $AllColumns
            Push-Location $Folder
            try {
                (Complete 'Import-Dataset -Path ./flowers.csv -LabelColumn ').CompletionText | Should -Be $AllColumns
                (Complete 'Import-Dataset -Path flow*.csv -LabelColumn ').CompletionText | Should -Be $AllColumns
                (Complete 'Import-Dataset flowers.csv -LabelColumn sepal_').CompletionText | Should -Be 'sepal_width'
            }
            finally { Pop-Location }
        }

        It 'reads the file with the options typed beside it: -Delimiter, -SkipLines, -Header, -NoHeader, -ColumnName' {
            $points = Join-Path $Folder 'points.txt'
            (Complete "Import-Dataset -Path '$points' -SkipLines 1 -LabelColumn ").CompletionText | Should -Be @('x', "'y z'", 'label')
            # A .csv file is read with commas unless -Delimiter says otherwise.
            $semicolons = Join-Path $Folder 'semicolons.csv'
            Complete "Import-Dataset -Path '$semicolons' -LabelColumn " | Should -BeNullOrEmpty
            (Complete "Import-Dataset -Path '$semicolons' -Delimiter ';' -LabelColumn ").CompletionText | Should -Be @('x', "'y z'", 'label')
            $numbers = Join-Path $Folder 'numbers.csv'
            Complete "Import-Dataset -Path '$numbers' -LabelColumn " | Should -BeNullOrEmpty -Because 'a file without a header has no names'
            (Complete "Import-Dataset -Path '$numbers' -Header -LabelColumn ").CompletionText | Should -Be @("'1'", "'2'", "'0'")
            (Complete "Import-Dataset -Path '$numbers' -ColumnName a, 'b c', d -FeatureColumn ").CompletionText | Should -Be @('a', "'b c'", 'd')
            Complete "Import-Dataset -Path '$Flowers' -NoHeader -LabelColumn " | Should -BeNullOrEmpty
        }

        It 'offers nothing, quietly, for <What>' -TestCases @(
            @{ What = 'no file yet'; Line = 'Import-Dataset -LabelColumn ' }
            @{ What = 'a missing file'; Line = "Import-Dataset -Path '{0}/missing.csv' -LabelColumn " }
            @{ What = 'a folder'; Line = "Import-Dataset -Path '{0}' -LabelColumn " }
            @{ What = 'a wildcard matching several files'; Line = "Import-Dataset -Path '{0}/*.*' -LabelColumn " }
            @{ What = 'an empty file'; Line = "Import-Dataset -Path '{0}/empty.csv' -FeatureColumn " }
            @{ What = 'a file that is not text'; Line = "Import-Dataset -Path '{0}/model.mlp' -LabelColumn " }
            @{ What = 'an IDX file'; Line = "Import-Dataset -Path '{0}/images.idx' -LabelColumn " }
            @{ What = 'a path of another provider'; Line = 'Import-Dataset -Path Env:PATH -LabelColumn ' }
            @{ What = 'piped text'; Line = "Get-Content '{0}/flowers.csv' | Import-Dataset -LabelColumn " }
        ) {
            $null = New-Item -ItemType File -Path (Join-Path $Folder 'empty.csv') -Force
            New-Mlp -InputSize 2 -HiddenSize 2 -ClassCount 2 -Seed 1 | Export-Mlp -Path (Join-Path $Folder 'model.mlp') -Force
            [IO.File]::WriteAllBytes((Join-Path $Folder 'images.idx'), [byte[]](0, 0, 8, 1, 0, 0, 0, 2, 7, 9))
            Complete ($Line -f $Folder) | Should -BeNullOrEmpty
        }
    }
}
