BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
    function Get-Id([string] $Id) { "$Id,MlpTools.Commands.ExportMlpCommand" }

    $spiral = Import-Dataset -Name Spiral -Seed 1
    $net = $spiral | New-Mlp -HiddenSize 16 -Seed 1 | Invoke-Training -Epochs 5 -Seed 1
    $net.Preprocessor = [MlpTools.Core.Data.Preprocessor]::Fit($spiral, 'MinMax')
    $double = $spiral | New-Mlp -HiddenSize 16 -Seed 2 -Precision Double | Invoke-Training -Epochs 5 -Momentum 0.9 -Seed 1

    # The parameters as one flat array of doubles, W1 b1 W2 b2.
    function Get-ParameterValues($Network) {
        , [double[]]@($Network.W1.ToColumnMajorArray() + $Network.b1.ToArray() + $Network.W2.ToColumnMajorArray() + $Network.b2.ToArray())
    }
}

Describe 'Export-Mlp' {
    Context 'Round trip' {
        It 'saves a <Precision> network that Import-Mlp gives back bit for bit: parameters, names, history, predictions' -TestCases @(
            @{ Precision = 'Single' }, @{ Precision = 'Double' }
        ) {
            $original = if ($Precision -eq 'Single') { $net } else { $double }
            $file = Join-Path $TestDrive "round-trip-$Precision.safetensors"
            $output = Export-Mlp -Network $original -Path $file
            $output | Should -BeNullOrEmpty
            $loaded = Import-Mlp -Path $file

            $loaded.Precision | Should -Be $Precision
            $loaded.W1.GetType() | Should -Be $original.W1.GetType()
            [Linq.Enumerable]::SequenceEqual((Get-ParameterValues $loaded), (Get-ParameterValues $original)) | Should -BeTrue
            $loaded.ClassNames | Should -Be $original.ClassNames
            $loaded.FeatureNames | Should -Be $original.FeatureNames
            $loaded.History.Loss | Should -Be $original.History.Loss
            $loaded.Dataset | Should -BeNullOrEmpty   # data is never saved
            if ($original.Preprocessor) { $loaded.Preprocessor.Offsets | Should -Be $original.Preprocessor.Offsets }

            $before = Invoke-MlpPrediction -Network $original -Dataset $spiral
            $after = Invoke-MlpPrediction -Network $loaded -Dataset $spiral
            [Linq.Enumerable]::SequenceEqual([double[]]@($after.Probabilities), [double[]]@($before.Probabilities)) | Should -BeTrue
        }

        It 'takes the network from the pipeline and the path by position' {
            $file = Join-Path $TestDrive 'piped.safetensors'
            $net | Export-Mlp $file
            (Import-Mlp $file).ParameterCount | Should -Be $net.ParameterCount
        }

        It 'resolves a relative path against the PowerShell location, and PowerShell drives' {
            Push-Location $TestDrive
            try {
                Export-Mlp -Network $net -Path 'relative.safetensors'
                Test-Path -LiteralPath (Join-Path $TestDrive 'relative.safetensors') | Should -BeTrue
            }
            finally { Pop-Location }
            Export-Mlp -Network $net -Path 'TestDrive:/drive.safetensors'
            Test-Path -LiteralPath (Join-Path $TestDrive 'drive.safetensors') | Should -BeTrue
        }

        It 'writes a file whose name has wildcard characters with -LiteralPath' {
            $file = Join-Path $TestDrive 'model[1].safetensors'
            Export-Mlp -Network $net -LiteralPath $file
            (Import-Mlp -LiteralPath $file).ParameterCount | Should -Be $net.ParameterCount
        }
    }

    Context 'Replacing, -WhatIf and -Confirm' {
        It 'refuses to replace a file without -Force (ModelFileExists) and leaves it as it was' {
            $file = Join-Path $TestDrive 'exists.safetensors'
            Export-Mlp -Network $net -Path $file
            $bytes = [IO.File]::ReadAllBytes($file)
            $err = { Export-Mlp -Network $double -Path $file } | Should -Throw -ErrorId (Get-Id ModelFileExists) -PassThru
            $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::ResourceExists)
            $err.Exception.Message | Should -Match ([regex]::Escape($file))
            $err.Exception.Message | Should -Match '-Force'
            [Linq.Enumerable]::SequenceEqual([IO.File]::ReadAllBytes($file), $bytes) | Should -BeTrue
        }

        It 'replaces it with -Force, leaving no temporary file behind' {
            $dir = Join-Path $TestDrive 'force'
            $null = New-Item -ItemType Directory -Path $dir
            $file = Join-Path $dir 'model.safetensors'
            Export-Mlp -Network $net -Path $file
            Export-Mlp -Network $double -Path $file -Force
            (Import-Mlp -Path $file).Precision | Should -Be 'Double'
            @(Get-ChildItem -LiteralPath $dir -Force).Name | Should -Be @('model.safetensors')
        }

        It 'writes nothing with -WhatIf' {
            $file = Join-Path $TestDrive 'whatif.safetensors'
            $ps = [powershell]::Create()   # a runspace without a host, so the "What if" line is not printed among test results
            try {
                $null = $ps.AddScript('param($m, $n, $f) Import-Module $m; Export-Mlp -Network $n -Path $f -WhatIf').
                    AddArgument($env:MLPTOOLS_MODULE_PATH).AddArgument($net).AddArgument($file)
                $null = $ps.Invoke()
                $ps.Streams.Error | Should -BeNullOrEmpty
            }
            finally { $ps.Dispose() }
            Test-Path -LiteralPath $file | Should -BeFalse
        }

        It 'supports -Confirm (ShouldProcess) with a medium impact' {
            $cmd = Get-Command Export-Mlp
            $cmd.Parameters.Keys | Should -Contain 'WhatIf'
            $cmd.Parameters.Keys | Should -Contain 'Confirm'
            $cmd.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false).ConfirmImpact | Should -Be 'Medium'
            $file = Join-Path $TestDrive 'confirmed.safetensors'
            Export-Mlp -Network $net -Path $file -Confirm:$false
            Test-Path -LiteralPath $file | Should -BeTrue
        }
    }

    Context 'Bad paths' {
        It 'reports a missing folder as ModelDirectoryNotFound (ObjectNotFound)' {
            $err = { Export-Mlp -Network $net -Path (Join-Path $TestDrive 'no/such/folder/m.safetensors') } |
                Should -Throw -ErrorId (Get-Id ModelDirectoryNotFound) -PassThru
            $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        }

        It 'refuses a folder as the file (ModelPathIsDirectory)' {
            { Export-Mlp -Network $net -LiteralPath $TestDrive } | Should -Throw -ErrorId (Get-Id ModelPathIsDirectory)
        }

        It 'refuses a path of another provider (NotAFileSystemPath)' {
            $err = { Export-Mlp -Network $net -Path Env:MLPTOOLS_MODEL } | Should -Throw -ErrorId (Get-Id NotAFileSystemPath) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        }

        It 'refuses a wildcard -Path that matches several files (PathAmbiguous)' {
            $dir = Join-Path $TestDrive 'two'
            $null = New-Item -ItemType Directory -Path $dir
            Export-Mlp -Network $net -Path (Join-Path $dir 'one.safetensors')
            Export-Mlp -Network $net -Path (Join-Path $dir 'two.safetensors')
            { Export-Mlp -Network $net -Path (Join-Path $dir '*.safetensors') } | Should -Throw -ErrorId (Get-Id PathAmbiguous)
        }
    }
}
