BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    function Get-Id([string] $Id) { "$Id,MlpTools.Commands.ExportMlpOnnxCommand" }

    $spiral = Import-Dataset -Name Spiral -Seed 1
    $net = $spiral | New-Mlp -HiddenSize 16 -Seed 1 | Invoke-Training -Epochs 5 -Seed 1 -Scaling MinMax
    $double = $spiral | New-Mlp -HiddenSize 16 -Seed 2 -Precision Double | Invoke-Training -Epochs 5 -Seed 1

    # The file read back with OnnxSharp, the library the module writes it with (loaded from the module's folder).
    Add-Type -Path (Join-Path (Split-Path -Parent $env:MLPTOOLS_MODULE_PATH) 'OnnxSharp.dll')
    function Read-Onnx([string] $Path) { [Onnx.ModelProto]::Parser.ParseFrom([IO.File]::ReadAllBytes($Path)) }
    function Get-Metadata([string] $Path) {
        $map = @{}
        foreach ($p in (Read-Onnx $Path).MetadataProps) { $map[$p.Key] = $p.Value }
        $map
    }
}

Describe 'Export-MlpOnnx' {
    Context 'The file' {
        It 'writes the network as ONNX, with its class and feature names readable back from the metadata' {
            $file = Join-Path $TestDrive 'spiral.onnx'
            $output = $net | Export-MlpOnnx $file
            $output | Should -BeNullOrEmpty
            $model = Read-Onnx $file
            $model.ProducerName | Should -Be 'MlpTools'
            $model.ProducerVersion | Should -Be (Get-Module MlpTools).Version.ToString()
            $model.OpsetImport[0].Version | Should -Be 13
            @($model.Graph.Node.OpType) | Should -Be @('Sub', 'Div', 'Gemm', 'Relu', 'Gemm', 'Softmax', 'ArgMax', 'Squeeze')
            $model.Graph.Input[0].Name | Should -Be 'input'
            @($model.Graph.Output.Name) | Should -Be @('probabilities', 'label')
            $model.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam | Should -Be 'N'
            $model.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimValue | Should -Be 2
            $model.Graph.Input[0].Type.TensorType.ElemType | Should -Be 1   # float
            $metadata = Get-Metadata $file
            $metadata['mlptools.class_names'] | ConvertFrom-Json | Should -Be $net.ClassNames
            $metadata['mlptools.feature_names'] | ConvertFrom-Json | Should -Be $net.FeatureNames
        }

        It 'writes a Double network as double unless -Precision Single asks for float' {
            $asDouble = Join-Path $TestDrive 'double.onnx'
            $asSingle = Join-Path $TestDrive 'double-as-single.onnx'
            $double | Export-MlpOnnx $asDouble
            $double | Export-MlpOnnx $asSingle -Precision Single
            (Read-Onnx $asDouble).Graph.Input[0].Type.TensorType.ElemType | Should -Be 11   # double
            (Read-Onnx $asSingle).Graph.Input[0].Type.TensorType.ElemType | Should -Be 1    # float
            (Get-Item $asSingle).Length | Should -BeLessThan (Get-Item $asDouble).Length
        }

        It 'takes -LiteralPath and PowerShell drives, and says what it wrote with -Verbose' {
            Export-MlpOnnx -Network $net -LiteralPath (Join-Path $TestDrive 'model[1].onnx')
            Test-Path -LiteralPath (Join-Path $TestDrive 'model[1].onnx') | Should -BeTrue
            $verbose = Export-MlpOnnx -Network $net -Path 'TestDrive:/drive.onnx' -Verbose 4>&1
            Test-Path -LiteralPath (Join-Path $TestDrive 'drive.onnx') | Should -BeTrue
            "$verbose" | Should -Match "input 'input' \[N, 2\], outputs 'probabilities' \[N, 3\] and 'label' \[N\]"
        }
    }

    Context 'Replacing, -WhatIf and -Confirm' {
        It 'refuses to replace a file without -Force (OnnxFileExists) and leaves it as it was' {
            $file = Join-Path $TestDrive 'exists.onnx'
            $net | Export-MlpOnnx $file
            $bytes = [IO.File]::ReadAllBytes($file)
            $err = { $double | Export-MlpOnnx $file } | Should -Throw -ErrorId (Get-Id OnnxFileExists) -PassThru
            $err.CategoryInfo.Category | Should -Be 'ResourceExists'
            $err.Exception.Message | Should -Match ([regex]::Escape($file))
            $err.Exception.Message | Should -Match 'Export-MlpOnnx -Force replaces it\.$'
            [Linq.Enumerable]::SequenceEqual([IO.File]::ReadAllBytes($file), $bytes) | Should -BeTrue
        }

        It 'replaces it with -Force, leaving no temporary file behind' {
            $dir = Join-Path $TestDrive 'force'
            $null = New-Item -ItemType Directory -Path $dir
            $file = Join-Path $dir 'model.onnx'
            $net | Export-MlpOnnx $file
            $double | Export-MlpOnnx $file -Force
            (Read-Onnx $file).Graph.Input[0].Type.TensorType.ElemType | Should -Be 11
            @(Get-ChildItem -LiteralPath $dir -Force).Name | Should -Be @('model.onnx')
        }

        It 'writes nothing with -WhatIf' {
            $file = Join-Path $TestDrive 'whatif.onnx'
            $ps = [powershell]::Create()   # a runspace without a host, so the "What if" line is not printed among test results
            try {
                $null = $ps.AddScript('param($m, $n, $f) Import-Module $m; $n | Export-MlpOnnx $f -WhatIf').
                    AddArgument($env:MLPTOOLS_MODULE_PATH).AddArgument($net).AddArgument($file)
                $null = $ps.Invoke()
                $ps.Streams.Error | Should -BeNullOrEmpty
            }
            finally { $ps.Dispose() }
            Test-Path -LiteralPath $file | Should -BeFalse
        }

        It 'supports -Confirm (ShouldProcess) with a medium impact' {
            $cmd = Get-Command Export-MlpOnnx
            $cmd.Parameters.Keys | Should -Contain 'WhatIf'
            $cmd.Parameters.Keys | Should -Contain 'Confirm'
            $cmd.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false).ConfirmImpact | Should -Be 'Medium'
        }
    }

    Context 'Refusals' {
        It 'refuses a network with NaN weights (ModelNonFiniteParameter), writing nothing' {
            $broken = New-Mlp -InputSize 2 -HiddenSize 3 -ClassCount 2 -Seed 1
            $broken.W1[0, 1] = [float]::NaN
            $file = Join-Path $TestDrive 'nan.onnx'
            $err = { $broken | Export-MlpOnnx $file } | Should -Throw -ErrorId (Get-Id ModelNonFiniteParameter) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidData'
            $err.Exception.Message | Should -Match 'W1 holds NaN'
            Test-Path -LiteralPath $file | Should -BeFalse
        }

        It 'refuses -Precision Single for a Double network whose weights float cannot hold (OnnxParameterOutOfRange)' {
            $big = New-Mlp -InputSize 2 -HiddenSize 3 -ClassCount 2 -Seed 1 -Precision Double
            $big.b2[1] = 1e200
            $err = { $big | Export-MlpOnnx (Join-Path $TestDrive 'big.onnx') -Precision Single } |
                Should -Throw -ErrorId (Get-Id OnnxParameterOutOfRange) -PassThru
            $err.Exception.Message | Should -Match 'b2 holds 1E\+200.*Export-MlpOnnx -Precision Double writes it\.$'
            $big | Export-MlpOnnx (Join-Path $TestDrive 'big.onnx')
        }

        It 'reports a missing folder as OnnxDirectoryNotFound (ObjectNotFound)' {
            $err = { $net | Export-MlpOnnx (Join-Path $TestDrive 'no/such/folder/m.onnx') } |
                Should -Throw -ErrorId (Get-Id OnnxDirectoryNotFound) -PassThru
            $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        }

        It 'refuses a folder as the file (OnnxPathIsDirectory), suggesting a file in it' {
            $err = { $net | Export-MlpOnnx -LiteralPath $TestDrive } | Should -Throw -ErrorId (Get-Id OnnxPathIsDirectory) -PassThru
            $err.Exception.Message | Should -Match ([regex]::Escape((Join-Path $TestDrive 'model.onnx')))
        }

        It 'refuses what is not a network (InputNotANetwork)' {
            { 'model' | Export-MlpOnnx (Join-Path $TestDrive 'text.onnx') } | Should -Throw -ErrorId (Get-Id InputNotANetwork)
        }
    }

    Context 'The onnx package''s checker (Debian python3-onnx, where installed)' {
        BeforeAll {
            # Debian's python3-onnx installs into the system python; a python3 earlier on PATH (pyenv) may lack it.
            $python = @('python3', '/usr/bin/python3') | Where-Object {
                (Get-Command $_ -CommandType Application -ErrorAction Ignore) -and $(& $_ -c 'import onnx, numpy' 2>$null; $LASTEXITCODE -eq 0)
            } | Select-Object -First 1
        }

        It 'passes check_model(full_check=True), and numpy evaluating the graph gives Invoke-MlpPrediction''s probabilities (Digits, <Scaling>)' -TestCases @(
            @{ Scaling = 'Standardize' }, @{ Scaling = 'MinMax' }
        ) {
            if (-not $python) { Set-ItResult -Skipped -Because 'python3 with the onnx package is not installed (apt-get install python3-onnx)'; return }
            $digits = Import-Dataset -Name Digits
            $model = $digits | New-Mlp -HiddenSize 32 -Seed 1 | Invoke-Training -Epochs 3 -Seed 1 -Scaling $Scaling
            $file = Join-Path $TestDrive "digits-$Scaling.onnx"
            $model | Export-MlpOnnx $file
            # The features as the network takes them (raw: the graph scales them) and its probabilities, as CSV.
            $inv = [Globalization.CultureInfo]::InvariantCulture
            $x = $digits.Features
            $inputs = Join-Path $TestDrive "x-$Scaling.csv"
            $probabilities = Join-Path $TestDrive "p-$Scaling.csv"
            [IO.File]::WriteAllLines($inputs, [string[]]@(for ($i = 0; $i -lt $x.RowCount; $i++) { ($x.Row($i) | ForEach-Object { $_.ToString('R', $inv) }) -join ',' }))
            [IO.File]::WriteAllLines($probabilities, [string[]]@(Invoke-MlpPrediction -Network $model -Dataset $digits |
                        ForEach-Object { ($_.Probabilities | ForEach-Object { $_.ToString('R', $inv) }) -join ',' }))

            $out = & $python (Join-Path $PSScriptRoot '../reference/check_onnx.py') $file --inputs $inputs --probabilities $probabilities 2>&1
            $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
            $out | Should -Contain 'ok'
            ($out -join "`n") | Should -Match 'numpy evaluation of 1797 rows'
        }
    }
}
