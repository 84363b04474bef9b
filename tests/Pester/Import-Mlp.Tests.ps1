BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    function Get-Id([string] $Id) { "$Id,MlpTools.Commands.ImportMlpCommand" }

    $spiral = Import-Dataset -Name Spiral -Seed 1
    $net = $spiral | New-Mlp -HiddenSize 16 -Seed 1 | Invoke-Training -Epochs 5 -Seed 1
    $models = Join-Path $TestDrive 'models'
    $null = New-Item -ItemType Directory -Path $models
    $file = Join-Path $models 'a.safetensors'
    Export-Mlp -Network $net -Path $file
    Export-Mlp -Network $net -Path (Join-Path $models 'b.safetensors')
    $bytes = [IO.File]::ReadAllBytes($file)
}

Describe 'Import-Mlp' {
    Context 'Loading' {
        It 'loads, in a fresh pwsh, exactly the network this process saved: parameters and predictions' {
            $here = Invoke-MlpPrediction -Network $net -Dataset $spiral
            $result = Invoke-InFreshPwsh -ArgumentList $file {
                param($Path)
                $loaded = Import-Mlp -Path $Path
                $p = Invoke-MlpPrediction -Network $loaded -Dataset (Import-Dataset -Name Spiral -Seed 1)
                [pscustomobject]@{
                    W1            = [double[]]$loaded.W1.ToColumnMajorArray()
                    b2            = [double[]]$loaded.b2.ToArray()
                    Probabilities = [double[]]@($p.Probabilities)
                }
            }
            $result.ExitCode | Should -Be 0 -Because $result.StdErr
            [Linq.Enumerable]::SequenceEqual([double[]]$result.Output.W1, [double[]]$net.W1.ToColumnMajorArray()) | Should -BeTrue
            [Linq.Enumerable]::SequenceEqual([double[]]$result.Output.b2, [double[]]$net.b2.ToArray()) | Should -BeTrue
            [Linq.Enumerable]::SequenceEqual([double[]]$result.Output.Probabilities, [double[]]@($here.Probabilities)) | Should -BeTrue
        }

        It 'loads every file a wildcard -Path matches, and every path given' {
            @(Import-Mlp -Path (Join-Path $models '*.safetensors')).Count | Should -Be 2
            @(Import-Mlp -Path $file, $file).Count | Should -Be 2
        }

        It 'takes paths and files from the pipeline' {
            @(Get-ChildItem -LiteralPath $models | Import-Mlp).Count | Should -Be 2
            @($file | Import-Mlp).Count | Should -Be 1
        }

        It 'resolves a relative path against the PowerShell location' {
            Push-Location $models
            try { (Import-Mlp a.safetensors).ParameterCount | Should -Be $net.ParameterCount }
            finally { Pop-Location }
        }

        It 'declares its output type' {
            (Get-Command Import-Mlp).OutputType.Type | Should -Contain ([MlpTools.Core.Model.Mlp[float]])
        }
    }

    Context 'Missing and damaged files' {
        It 'reports a missing file as ModelNotFound (ObjectNotFound), a non-terminating error, and loads the rest' {
            $missing = Join-Path $models 'missing.safetensors'
            $loaded = @(Import-Mlp -Path $missing, $file -ErrorVariable problems -ErrorAction SilentlyContinue)
            $loaded.Count | Should -Be 1
            $problems.Count | Should -Be 1
            $problems[0].FullyQualifiedErrorId | Should -Be (Get-Id ModelNotFound)
            $problems[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $problems[0].Exception.Message | Should -Match 'missing\.safetensors'
            { Import-Mlp -LiteralPath $missing -ErrorAction Stop } | Should -Throw -ErrorId (Get-Id ModelNotFound)
        }

        It 'stops on a damaged file (<Damage>) with the engine''s id <Id>, InvalidData, naming the file' -TestCases @(
            @{ Damage = 'cut short'; Id = 'ModelFileTruncated'; Edit = { param($b) $b[0..($b.Length - 101)] } }
            @{ Damage = 'not a model at all'; Id = 'ModelHeaderInvalid'; Edit = { param($b) [Text.Encoding]::UTF8.GetBytes('"Length","Width"' + "`n1,2`n") } }
            @{ Damage = 'one weight byte flipped'; Id = 'ModelChecksumMismatch'; Edit = { param($b) $c = [byte[]]$b.Clone(); $c[-5] = $c[-5] -bxor 0x40; , $c } }
        ) {
            $damaged = Join-Path $TestDrive "damaged-$Id.safetensors"
            [IO.File]::WriteAllBytes($damaged, [byte[]](& $Edit $bytes))
            $err = { Import-Mlp -Path $damaged } | Should -Throw -ErrorId (Get-Id $Id) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidData'
            $err.Exception.Message | Should -Match ([regex]::Escape($damaged))
        }

        It 'refuses a path of another provider' {
            { Import-Mlp -Path Env:PATH } | Should -Throw -ErrorId (Get-Id NotAFileSystemPath)
        }
    }
}
