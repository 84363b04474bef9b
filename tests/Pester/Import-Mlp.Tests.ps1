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
        It 'stops on a missing file given alone (<Form>), as Import-Dataset does, so try/catch catches it: ModelNotFound (ObjectNotFound)' -TestCases @(
            @{ Form = '-Path'; Run = { Import-Mlp -Path (Join-Path $models 'missing.safetensors') } }
            @{ Form = '-LiteralPath'; Run = { Import-Mlp -LiteralPath (Join-Path $models 'missing.safetensors') } }
            @{ Form = 'a wildcard that matches nothing'; Run = { Import-Mlp -Path (Join-Path $models '*.nothing') } }
        ) {
            $ErrorActionPreference = 'Continue'    # a shell's default, under which only a terminating error reaches catch
            $caught = $null
            try { $null = & $Run 2>$null } catch { $caught = $_ }
            $caught | Should -Not -BeNullOrEmpty -Because 'a missing file given alone is a terminating error'
            $caught.FullyQualifiedErrorId | Should -Be (Get-Id ModelNotFound)
            $caught.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $caught.Exception.Message | Should -Match 'missing\.safetensors|\*\.nothing'
        }

        It 'reports a missing file among several (<Form>) as a non-terminating ModelNotFound, and loads the rest' -TestCases @(
            @{ Form = 'paths given'; Run = { param($missing, $common) Import-Mlp -Path $missing, $file @common } }
            @{ Form = 'paths piped'; Run = { param($missing, $common) $missing, $file | Import-Mlp @common } }
            @{ Form = 'files piped'; Run = { param($missing, $common) [pscustomobject]@{ PSPath = $missing }, (Get-Item -LiteralPath $file) | Import-Mlp @common } }
        ) {
            $missing = Join-Path $models 'missing.safetensors'
            $loaded = @(. $Run $missing @{ ErrorVariable = 'problems'; ErrorAction = 'SilentlyContinue' })
            $loaded.Count | Should -Be 1
            $problems.Count | Should -Be 1
            $problems[0].FullyQualifiedErrorId | Should -Be (Get-Id ModelNotFound)
            $problems[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $problems[0].Exception.Message | Should -Match 'missing\.safetensors'
            { & $Run $missing @{ ErrorAction = 'Stop' } } | Should -Throw -ErrorId (Get-Id ModelNotFound)
        }

        It 'reports a damaged file among several as a non-terminating error with the engine''s id, and loads the rest' {
            $folder = Join-Path $TestDrive 'mixed'
            $null = New-Item -ItemType Directory -Path $folder
            Copy-Item -LiteralPath $file -Destination (Join-Path $folder 'good.safetensors')
            $cut = Join-Path $folder 'cut.safetensors'
            [IO.File]::WriteAllBytes($cut, [byte[]]$bytes[0..($bytes.Length - 101)])
            $loaded = @(Import-Mlp -Path (Join-Path $folder '*.safetensors') -ErrorVariable problems -ErrorAction SilentlyContinue)
            $loaded.Count | Should -Be 1
            $problems.Count | Should -Be 1
            $problems[0].FullyQualifiedErrorId | Should -Be (Get-Id ModelFileTruncated)
            $problems[0].TargetObject | Should -Be $cut
            $problems = $null
            @(Get-ChildItem -LiteralPath $folder | Import-Mlp -ErrorVariable problems -ErrorAction SilentlyContinue).Count | Should -Be 1
            $problems.Count | Should -Be 1
        }

        It 'stops on a damaged file (<Damage>) with the engine''s id <Id>, InvalidData, naming the file' -TestCases @(
            @{ Damage = 'cut short'; Id = 'ModelFileTruncated'; Edit = { param($b) $b[0..($b.Length - 101)] } }
            @{ Damage = 'its header length overwritten'; Id = 'ModelHeaderInvalid'; Edit = { param($b) $c = [byte[]]$b.Clone(); $c[5] = 0x40; , $c } }
            @{ Damage = 'one weight byte flipped'; Id = 'ModelChecksumMismatch'; Edit = { param($b) $c = [byte[]]$b.Clone(); $c[-5] = $c[-5] -bxor 0x40; , $c } }
        ) {
            $damaged = Join-Path $TestDrive "damaged-$Id.safetensors"
            [IO.File]::WriteAllBytes($damaged, [byte[]](& $Edit $bytes))
            $err = { Import-Mlp -Path $damaged } | Should -Throw -ErrorId (Get-Id $Id) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidData'
            $err.Exception.Message | Should -Match ([regex]::Escape($damaged))
        }

        It 'says what a file of another kind looks like (<Kind>), as ModelFileWrongKind (InvalidData), naming the file' -TestCases @(
            @{ Kind = 'CSV'; Make = { [Text.Encoding]::UTF8.GetBytes('"Length","Width"' + "`n1,2`n") }; LooksLike = 'a CSV text file \(it starts ''"Length","Width"''\)'; Dataset = $true }
            @{ Kind = 'gzip'; Make = { $ms = [IO.MemoryStream]::new(); $gz = [IO.Compression.GZipStream]::new($ms, [IO.Compression.CompressionMode]::Compress); $gz.Write([byte[]](1, 2, 3), 0, 3); $gz.Dispose(); , $ms.ToArray() }; LooksLike = 'a gzip-compressed file'; Dataset = $true }
            @{ Kind = 'IDX'; Make = { , [byte[]](0, 0, 8, 1, 0, 0, 0, 2, 7, 9) }; LooksLike = 'an IDX file \(the MNIST format\) of unsigned bytes with 1 dimension'; Dataset = $true }
            @{ Kind = 'PNG'; Make = { , [byte[]](0x89, 0x50, 0x4E, 0x47, 13, 10, 26, 10, 0, 0, 0, 13) }; LooksLike = 'a PNG image'; Dataset = $false }
        ) {
            $other = Join-Path $TestDrive "other-$Kind.safetensors"
            [IO.File]::WriteAllBytes($other, [byte[]](& $Make))
            $err = { Import-Mlp -Path $other } | Should -Throw -ErrorId (Get-Id ModelFileWrongKind) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidData'
            $err.TargetObject | Should -Be $other
            $err.Exception.Message | Should -Match ("^The file '{0}' is not a model file: it looks like {1}\." -f [regex]::Escape($other), $LooksLike)
            $err.Exception.Message | Should -Not -Match 'declares a header'
            if ($Dataset) { $err.Exception.Message | Should -Match ("Import-Dataset -Path '{0}'" -f [regex]::Escape($other)) }
            else { $err.Exception.Message | Should -Not -Match 'Import-Dataset' }
        }

        It 'refuses a path of another provider' {
            { Import-Mlp -Path Env:PATH } | Should -Throw -ErrorId (Get-Id NotAFileSystemPath)
        }
    }
}
