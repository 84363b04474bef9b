BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    function Get-Id([string] $Id) { "$Id,MlpTools.Commands.ExportMlpPlotCommand" }
    $moduleBase = (Get-Module MlpTools).ModuleBase
    # The PNGs are decoded with the module's own SkiaSharp (its native library found by the module's resolver).
    Add-Type -LiteralPath (Join-Path $moduleBase 'SkiaSharp.dll')

    $digits = Import-Dataset -Name Digits
    $train, $test = $digits | Split-Dataset -TestFraction 0.2 -Stratify -Seed 1
    $net = $train | New-Mlp -HiddenSize 16 -Seed 1 | Invoke-Training -Epochs 4 -ValidationDataset $test -Seed 1

    # A PNG file decoded: its size, how many colours it has, and its pixels.
    function Read-Png([string] $Path) {
        $bitmap = [SkiaSharp.SKBitmap]::Decode($Path)
        if (-not $bitmap) { throw "'$Path' does not decode as an image." }
        try {
            $pixels = $bitmap.Pixels
            [pscustomobject]@{
                Width   = $bitmap.Width
                Height  = $bitmap.Height
                Colours = [Linq.Enumerable]::Count([Linq.Enumerable]::Distinct($pixels))
                Pixels  = $pixels
            }
        }
        finally { $bitmap.Dispose() }
    }

    # Gives $Network a training state made here: one record per loss (accuracy 1 - loss / 4), each with diagnostics
    # when -Diagnostics is given. The trainer fills these records itself; the tests need figures they choose.
    function Set-TrainingState($Network, [double[]] $Loss, [int] $BestEpoch, [switch] $Diagnostics) {
        $state = [MlpTools.Core.Training.TrainingState]::new()
        $add = [MlpTools.Core.Training.TrainingState].GetMethod('Add', [Reflection.BindingFlags]'NonPublic, Instance')
        for ($i = 0; $i -lt $Loss.Count; $i++) {
            $record = [MlpTools.Core.Training.EpochRecord]::new($i + 1, $Loss[$i], 1 - $Loss[$i] / 4, $null, $null, 0.01, 1, 1, 0.1)
            if ($Diagnostics) {
                $p = [MlpTools.Core.Training.ParameterDiagnostics]::new(1, 0.5, 1e-3 * ($i + 1), 1e-3 * ($i + 1))
                $d = [MlpTools.Core.Training.TrainingDiagnostics]::new($p, $p, $p, $p, [Math]::Min(1, 0.1 * $i), 0.5)
                [MlpTools.Core.Training.EpochRecord].GetProperty('Diagnostics', [Reflection.BindingFlags]'NonPublic, Instance').SetValue($record, $d)
            }
            $null = $add.Invoke($state, @($record))
        }
        [MlpTools.Core.Training.TrainingState].GetProperty('BestEpoch').SetValue($state, [Nullable[int]]$BestEpoch)
        $null = [MlpTools.PipelineState].GetMethod('SetTraining', [Reflection.BindingFlags]'NonPublic, Static').Invoke($null, @($Network, $state))
    }

    # The magic and machine of a native library: ELF x86-64 / aarch64, PE x64, Mach-O (universal: every slice).
    function Get-BinaryKind([string] $Path) {
        $b = [IO.File]::ReadAllBytes($Path)
        if ($b[0] -eq 0x7F -and $b[1] -eq 0x45 -and $b[2] -eq 0x4C -and $b[3] -eq 0x46) {
            switch ([BitConverter]::ToUInt16($b, 18)) { 0x3E { return 'elf-x64' } 0xB7 { return 'elf-arm64' } default { return "elf-$_" } }
        }
        if ($b[0] -eq 0x4D -and $b[1] -eq 0x5A) {
            $pe = [BitConverter]::ToInt32($b, 0x3C)
            switch ([BitConverter]::ToUInt16($b, $pe + 4)) { 0x8664 { return 'pe-x64' } 0xAA64 { return 'pe-arm64' } default { return "pe-$_" } }
        }
        $big = { param($at) [BitConverter]::ToUInt32([byte[]]$b[($at + 3)..$at], 0) }
        if ((& $big 0) -eq 0xCAFEBABEu) {
            $cpus = for ($i = 0; $i -lt (& $big 4); $i++) {
                switch (& $big (8 + 20 * $i)) { 0x01000007 { 'x64' } 0x0100000C { 'arm64' } default { "$_" } }
            }
            return 'macho-' + (($cpus | Sort-Object) -join '+')
        }
        return 'unknown'
    }
}

Describe 'Export-MlpPlot' {
    Context 'The pictures' {
        It 'draws the <Kind> picture as a PNG of <Width> x <Height> with many colours' -TestCases @(
            @{ Kind = 'History'; Width = 1200; Height = 500; Size = @() }
            @{ Kind = 'History'; Width = 640; Height = 320; Size = @(640, 320) }
            @{ Kind = 'ConfusionMatrix'; Width = 760; Height = 680; Size = @() }
            @{ Kind = 'ConfusionMatrix'; Width = 400; Height = 400; Size = @(400, 400) }
            @{ Kind = 'Weights'; Width = 820; Height = 760; Size = @() }
            @{ Kind = 'Weights'; Width = 300; Height = 700; Size = @(300, 700) }
            @{ Kind = 'Diagnostics'; Width = 1200; Height = 500; Size = @() }
            @{ Kind = 'Diagnostics'; Width = 900; Height = 350; Size = @(900, 350) }
        ) {
            $file = Join-Path $TestDrive "$Kind-$Width.png"
            $size = if ($Size) { @{ Width = $Size[0]; Height = $Size[1] } } else { @{} }
            $source = switch ($Kind) {
                'ConfusionMatrix' { $net | Test-Mlp -Dataset $test }
                'Diagnostics' { $copy = $net.Clone(); Set-TrainingState $copy -Loss 2, 1, 0.5 -BestEpoch 3 -Diagnostics; $copy }
                default { $net }
            }
            $output = $source | Export-MlpPlot -Kind $Kind -Path $file @size
            $output | Should -BeNullOrEmpty
            $png = Read-Png $file
            $png.Width | Should -Be $Width
            $png.Height | Should -Be $Height
            $png.Colours | Should -BeGreaterThan 100
        }

        It 'draws a falling loss as a line whose pixels fall from column to column' {
            $copy = $net.Clone()
            $losses = [double[]]@(0..59 | ForEach-Object { 2.5 * [Math]::Exp(-$_ / 12) + 0.1 })
            Set-TrainingState $copy -Loss $losses -BestEpoch 60
            $file = Join-Path $TestDrive 'falling.png'
            $copy | Export-MlpPlot -Kind History -Path $file
            $png = Read-Png $file
            # The training curve's colour; the highest pixel of it in each column of the loss panel (the left half) is
            # on the curve (its legend entry is below the panel).
            $blue = [SkiaSharp.SKColor]::Parse('#1f77b4')
            $tops = foreach ($x in 0..($png.Width / 2 - 1)) {
                for ($y = 0; $y -lt $png.Height; $y++) {
                    $p = $png.Pixels[$y * $png.Width + $x]
                    if ([Math]::Abs($p.Red - $blue.Red) -le 12 -and [Math]::Abs($p.Green - $blue.Green) -le 12 -and [Math]::Abs($p.Blue - $blue.Blue) -le 12) { $y; break }
                }
            }
            $tops.Count | Should -BeGreaterThan 300
            for ($i = 1; $i -lt $tops.Count; $i++) { $tops[$i] | Should -BeGreaterOrEqual ($tops[$i - 1] - 1) -Because "column $i of the curve" }
            ($tops[-1] - $tops[0]) | Should -BeGreaterThan 200
        }

        It 'draws the weights of a network made from IDX images in tiles of their shape' {
            $corpus = Join-Path $PSScriptRoot '../MlpTools.Core.Tests/Data/Corpus/idx'
            $images = Import-Dataset -Path (Join-Path $corpus 'ok-images.idx') -LabelPath (Join-Path $corpus 'ok-labels.idx')
            $images.ImageShape.ToString() | Should -Be '2x3'
            $small = $images | New-Mlp -HiddenSize 4 -Seed 1
            $small.ImageShape.ToString() | Should -Be '2x3'     # 6 is no square: only the shape from the files tells
            $small | Export-MlpPlot -Kind Weights -Path (Join-Path $TestDrive 'idx-weights.png')
            (Read-Png (Join-Path $TestDrive 'idx-weights.png')).Colours | Should -BeGreaterThan 100
        }

        It 'keeps the image shape in the model file' {
            $file = Join-Path $TestDrive 'digits.safetensors'
            $net | Export-Mlp -Path $file
            (Import-Mlp -Path $file).ImageShape.ToString() | Should -Be '8x8'
        }

        It 'draws a CSV of images with -ImageShape, and as squares when the feature count is one' {
            $csv = Join-Path $TestDrive 'digits.csv'
            $digits | Export-Dataset -Path $csv
            $fromCsv = Import-Dataset -Path $csv | New-Mlp -HiddenSize 4 -Seed 1
            $fromCsv.ImageShape | Should -BeNullOrEmpty
            $fromCsv | Export-MlpPlot -Kind Weights -Path (Join-Path $TestDrive 'csv-square.png')
            $fromCsv | Export-MlpPlot -Kind Weights -Path (Join-Path $TestDrive 'csv-4x16.png') -ImageShape 4, 16
            (Read-Png (Join-Path $TestDrive 'csv-4x16.png')).Width | Should -Be 820

            $rows = foreach ($i in 0..9) { [pscustomobject]@{ a = $i; b = 2 * $i; c = $i % 3; d = 1; e = -$i; f = $i * $i; y = $i % 2 } }
            $six = $rows | ConvertTo-Dataset -LabelProperty y | New-Mlp -HiddenSize 3 -Seed 1
            $err = { $six | Export-MlpPlot -Kind Weights -Path (Join-Path $TestDrive 'six.png') } | Should -Throw -ErrorId (Get-Id PlotImageShapeUnknown) -PassThru
            $err.Exception.Message | Should -Match '6 is not a square number'
            $err.Exception.Message | Should -Match '-ImageShape'
            { $six | Export-MlpPlot -Kind Weights -Path (Join-Path $TestDrive 'six.png') -ImageShape 2, 2 } | Should -Throw -ErrorId (Get-Id ImageShapeMismatch)
            Test-Path -LiteralPath (Join-Path $TestDrive 'six.png') | Should -BeFalse
            $six | Export-MlpPlot -Kind Weights -Path (Join-Path $TestDrive 'six.png') -ImageShape 2, 3
            Test-Path -LiteralPath (Join-Path $TestDrive 'six.png') | Should -BeTrue
        }
    }

    Context 'The whole look inside, on Digits' {
        It 'examples/See-Inside.ps1 runs the sanity checks, trains with validation, shows the summary and the chart, and draws the four pictures' {
            $out = Join-Path $TestDrive 'see-inside'
            $text = & (Join-Path $PSScriptRoot '../../examples/See-Inside.ps1') -OutFolder $out 6>&1 | Out-String -Width 100
            foreach ($name in 'history', 'confusion', 'weights', 'diagnostics') {
                $png = Read-Png (Join-Path $out "$name.png")
                $png.Width | Should -BeGreaterThan 300
                $png.Colours | Should -BeGreaterThan 50 -Because "$name.png should not be blank"
            }
            $text | Should -Match 'InitialLoss'                 # the sanity table
            $text | Should -Match 'Affine\s+Hpre = X W1 \+ b1'   # the summary's stages
            $text | Should -Match 'Loss per epoch'               # the chart
            $text | Should -Match 'W1 update/weight ratio \d'    # the diagnostics of the last epoch
        }
    }

    Context 'The file' {
        It '-WhatIf says what it would draw and writes nothing' {
            $file = Join-Path $TestDrive 'whatif.png'
            $net | Export-MlpPlot -Kind History -Path $file -WhatIf
            Test-Path -LiteralPath $file | Should -BeFalse
            @(Get-ChildItem -LiteralPath $TestDrive -Filter '.whatif*' -Force) | Should -BeNullOrEmpty
        }

        It 'refuses to replace a file without -Force (PlotFileExists), leaving it as it was; -Force replaces it' {
            $file = Join-Path $TestDrive 'exists.png'
            Set-Content -LiteralPath $file -Value 'not a picture'
            $err = { $net | Export-MlpPlot -Kind History -Path $file } | Should -Throw -ErrorId (Get-Id PlotFileExists) -PassThru
            $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::ResourceExists)
            $err.Exception.Message | Should -Match 'Export-MlpPlot -Force replaces it\.$'
            Get-Content -LiteralPath $file | Should -Be 'not a picture'
            $net | Export-MlpPlot -Kind History -Path $file -Force
            (Read-Png $file).Width | Should -Be 1200
            @(Get-ChildItem -LiteralPath $TestDrive -Filter '.exists*' -Force) | Should -BeNullOrEmpty
        }

        It 'writes to a name with wildcard characters with -LiteralPath, and relative to the PowerShell location' {
            $net | Export-MlpPlot -Kind Weights -LiteralPath (Join-Path $TestDrive 'w[1].png')
            Test-Path -LiteralPath (Join-Path $TestDrive 'w[1].png') | Should -BeTrue
            Push-Location $TestDrive
            try { $net | Export-MlpPlot -Kind Weights -Path 'relative.png' }
            finally { Pop-Location }
            Test-Path -LiteralPath (Join-Path $TestDrive 'relative.png') | Should -BeTrue
        }

        It 'names a missing folder (PlotDirectoryNotFound)' {
            { $net | Export-MlpPlot -Kind History -Path (Join-Path $TestDrive 'no/such/history.png') } | Should -Throw -ErrorId (Get-Id PlotDirectoryNotFound)
        }
    }

    Context 'Tab completion' {
        It 'completes -Kind with the pictures it draws' {
            $line = 'Export-MlpPlot -Kind '
            (TabExpansion2 $line $line.Length).CompletionMatches.CompletionText | Should -Be @('ConfusionMatrix', 'Diagnostics', 'History', 'Weights')
            $line = 'Export-MlpPlot -Kind con'
            (TabExpansion2 $line $line.Length).CompletionMatches.CompletionText | Should -Be 'ConfusionMatrix'
        }
    }

    Context 'The wrong input' {
        It 'refuses <What> for -Kind <Kind> (<Id>), saying what to pipe' -TestCases @(
            @{ What = 'a test result'; Kind = 'History'; Id = 'PlotNeedsNetwork'; Said = 'Pipe the network' }
            @{ What = 'a test result'; Kind = 'Weights'; Id = 'PlotNeedsNetwork'; Said = 'makes -Kind ConfusionMatrix' }
            @{ What = 'a network'; Kind = 'ConfusionMatrix'; Id = 'PlotNeedsEvaluation'; Said = 'Test-Mlp' }
            @{ What = 'a dataset'; Kind = 'Diagnostics'; Id = 'PlotNeedsNetwork'; Said = 'the dataset Digits' }
            @{ What = 'a dataset'; Kind = 'ConfusionMatrix'; Id = 'PlotNeedsEvaluation'; Said = 'the dataset Digits' }
            @{ What = 'text'; Kind = 'History'; Id = 'PlotNeedsNetwork'; Said = "the text 'history'" }
        ) {
            $given = switch ($What) { 'a test result' { $net | Test-Mlp } 'a network' { $net } 'a dataset' { $digits } 'text' { 'history' } }
            $file = Join-Path $TestDrive "wrong-$Kind.png"
            $err = { $given | Export-MlpPlot -Kind $Kind -Path $file } | Should -Throw -ErrorId (Get-Id $Id) -PassThru
            $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidArgument)
            $err.Exception.Message | Should -BeLike "*$Said*"
            Test-Path -LiteralPath $file | Should -BeFalse
        }

        It 'refuses -ImageShape for a picture without images (PlotImageShapeNotUsed)' {
            { $net | Export-MlpPlot -Kind History -Path (Join-Path $TestDrive 'x.png') -ImageShape 8, 8 } | Should -Throw -ErrorId (Get-Id PlotImageShapeNotUsed)
        }

        It 'says a network never trained has no history (PlotNoHistory) and a history without diagnostics none to draw (PlotNoDiagnostics)' {
            $new = $digits | New-Mlp -HiddenSize 4 -Seed 1
            $err = { $new | Export-MlpPlot -Kind History -Path (Join-Path $TestDrive 'new.png') } | Should -Throw -ErrorId (Get-Id PlotNoHistory) -PassThru
            $err.Exception.Message | Should -Match 'Invoke-Training trains it\.$'
            $plain = $net.Clone()
            Set-TrainingState $plain -Loss 2, 1 -BestEpoch 2
            $err = { $plain | Export-MlpPlot -Kind Diagnostics -Path (Join-Path $TestDrive 'plain.png') } | Should -Throw -ErrorId (Get-Id PlotNoDiagnostics) -PassThru
            $err.Exception.Message | Should -Match 'None of the 2 epochs'
            Test-Path -LiteralPath (Join-Path $TestDrive 'plain.png') | Should -BeFalse
        }

        It 'refuses a size out of range before drawing' {
            { $net | Export-MlpPlot -Kind History -Path (Join-Path $TestDrive 'tiny.png') -Width 20 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,MlpTools.Commands.ExportMlpPlotCommand'
        }
    }

    Context 'Native libraries' {
        It 'the manifest claims linux-x64, linux-arm64, osx-arm64, osx-x64 and win-x64' {
            $manifest = Import-PowerShellDataFile -LiteralPath $env:MLPTOOLS_MODULE_PATH
            @($manifest.PrivateData.NativeRuntimes | Sort-Object) | Should -Be @('linux-arm64', 'linux-x64', 'osx-arm64', 'osx-x64', 'win-x64')
        }

        It 'the built module has <Library> for <Runtime>, built for it' -TestCases @(
            foreach ($runtime in (Import-PowerShellDataFile -LiteralPath $env:MLPTOOLS_MODULE_PATH).PrivateData.NativeRuntimes) {
                foreach ($library in 'libSkiaSharp', 'libHarfBuzzSharp') {
                    @{ Runtime = $runtime; Library = $library; Kind = @{
                            'linux-x64' = 'elf-x64'; 'linux-arm64' = 'elf-arm64'; 'win-x64' = 'pe-x64'
                            'osx-arm64' = 'macho-arm64+x64'; 'osx-x64' = 'macho-arm64+x64' }[$runtime] }
                }
            }
        ) {
            # Where the module's resolver looks for it on that platform.
            $path = [MlpTools.Plots.NativeLibraries]::LibraryPath($moduleBase, $Library, $Runtime)
            $path | Should -Not -BeNullOrEmpty
            $path | Should -BeLike (Join-Path $moduleBase 'runtimes/*')
            Get-BinaryKind $path | Should -Be $Kind
        }

        It 'a fresh pwsh importing the built module draws a PNG, with the native libraries from the module''s runtimes folder' -Skip:(-not $IsLinux) {
            $file = Join-Path $TestDrive 'fresh.png'
            $result = Invoke-InFreshPwsh {
                param($file)
                Import-Dataset -Name Digits | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 2 -Seed 1 | Export-MlpPlot -Kind History -Path $file
                # HarfBuzz is only loaded for text shaping, which the pictures do not use: load it here.
                Add-Type -LiteralPath (Join-Path (Get-Module MlpTools).ModuleBase 'HarfBuzzSharp.dll')
                $null = [HarfBuzzSharp.Buffer]::new()
                Get-Content "/proc/$PID/maps" | Where-Object { $_ -match 'lib(SkiaSharp|HarfBuzzSharp)\.so' } | ForEach-Object { ($_ -split '\s+', 6)[5] } | Sort-Object -Unique
                (Get-Module MlpTools).ModuleBase
            } -ArgumentList $file
            $result.ExitCode | Should -Be 0 -Because $result.StdErr
            (Read-Png $file).Width | Should -Be 1200
            $base = $result.Output[-1]
            @($result.Output | Select-Object -SkipLast 1) | Should -Be @(
                (Join-Path $base 'runtimes/linux-x64/native/libHarfBuzzSharp.so'),
                (Join-Path $base 'runtimes/linux-x64/native/libSkiaSharp.so'))
        }

        It 'says which platform lacks its libraries when they are missing (PlotNativeLibraryMissing)' -Skip:(-not $IsLinux) {
            $broken = Join-Path $TestDrive 'broken/MlpTools'
            $null = New-Item -ItemType Directory -Path $broken -Force
            Copy-Item -Path $moduleBase -Destination $broken -Recurse
            $copy = Join-Path $broken (Split-Path -Leaf $moduleBase)
            Remove-Item -LiteralPath (Join-Path $copy 'runtimes/linux-x64') -Recurse -Force
            $result = Invoke-InFreshPwsh -ModulePath (Join-Path $copy 'MlpTools.psd1') {
                param($file)
                try { New-Mlp -InputSize 4 -HiddenSize 2 -ClassCount 2 -Seed 1 | Export-MlpPlot -Kind Weights -Path $file }
                catch { $_.FullyQualifiedErrorId; $_.Exception.Message }
            } -ArgumentList (Join-Path $TestDrive 'broken.png')
            $result.Output[0] | Should -Be (Get-Id PlotNativeLibraryMissing)
            $result.Output[1] | Should -BeLike "*platform (linux-x64) could not be loaded: there is no '$(Join-Path $copy 'runtimes/linux-x64/native/libSkiaSharp.so')'*"
            $result.Output[1] | Should -Match 'has the libraries for linux-arm64, osx, win-x64\.'
            Test-Path -LiteralPath (Join-Path $TestDrive 'broken.png') | Should -BeFalse
        }

        It 'works wherever the module is installed' -Skip:(-not $IsLinux) {
            $elsewhere = Join-Path $TestDrive 'elsewhere/MlpTools'
            $null = New-Item -ItemType Directory -Path $elsewhere -Force
            Copy-Item -Path $moduleBase -Destination $elsewhere -Recurse
            $manifest = Join-Path $elsewhere "$(Split-Path -Leaf $moduleBase)/MlpTools.psd1"
            $file = Join-Path $TestDrive 'elsewhere.png'
            $result = Invoke-InFreshPwsh -ModulePath $manifest {
                param($file)
                $net = New-Mlp -InputSize 64 -HiddenSize 4 -ClassCount 2 -Seed 1
                $net | Export-MlpPlot -Kind Weights -Path $file
                Get-Content "/proc/$PID/maps" | Where-Object { $_ -match 'libSkiaSharp\.so' } | ForEach-Object { ($_ -split '\s+', 6)[5] } | Sort-Object -Unique
            } -ArgumentList $file
            $result.ExitCode | Should -Be 0 -Because $result.StdErr
            $result.Output | Should -BeLike (Join-Path $elsewhere '*/runtimes/linux-x64/native/libSkiaSharp.so')
            (Read-Png $file).Colours | Should -BeGreaterThan 100
        }
    }
}
